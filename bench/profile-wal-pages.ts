// Which of SQLite's B-trees sending a message writes, and how many pages of each, per message:
// `node --import tsx bench/profile-wal-pages.ts [members] [clients] [messages]` (default a 50-member room, one
// client, 100 messages; needs strace). SQLite writes every page a commit dirtied into its WAL whole (a 24-byte
// frame header naming the page, then the page), and a checkpoint later writes it again into the database file,
// so pages per message is what a commit costs in writes. strace, attached to this process (the server runs
// in-process), records the frame headers' page numbers; SQLite's dbstat table maps them to tables and indexes.
// Also counted: writes to SQLite's temporary files (statement journals, temporary B-trees) and to the database
// file (the checkpoint worker).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_DELAY_MS } from '../src/push/staged-moves.js';
import Database from 'better-sqlite3';
import { createRoom, joinRoom, pool, registerUsers, sendText, type User } from './lib/client.js';
import { startBenchServer } from './lib/server.js';

const members = Number(process.argv[2] ?? 50);
const clients = Math.min(members, Number(process.argv[3] ?? 1));
const messages = Number(process.argv[4] ?? 100);
const traceFile = join(tmpdir(), `hearth-wal-pages-${process.pid}.txt`);

/** strace -y -xx prints a descriptor's path and every buffer byte as \xNN. */
const unhex = (s: string) => s.replace(/\\x([0-9a-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));

const server = await startBenchServer('sqlite', { child: false });
try {
  const users = await registerUsers(server.baseUrl, 'wal', members);
  const room = await createRoom(server.baseUrl, users[0] as User);
  await pool(users.slice(1), 8, (u) => joinRoom(server.baseUrl, u, room));
  const sendAll = async (label: string) => {
    await Promise.all(
      users.slice(0, clients).map(async (u) => {
        for (let i = 0; i < Math.ceil(messages / clients); i++) await sendText(server.baseUrl, u, room, `${label} ${i}`);
      }),
    );
  };
  await sendAll('warm-up'); // the room's B-trees past their first pages, the code past its first runs
  await sleep(500);
  const strace = spawn('strace', ['-f', '-y', '-xx', '-s', '8', '-e', 'trace=pwrite64', '-o', traceFile, '-p', String(process.pid)], { stdio: 'ignore' });
  await sleep(1500); // attaching to every thread takes a moment
  await sendAll('message');
  // Until the move of the last messages' staged push actions (src/push/service.ts) has written its pages too.
  await sleep(MAX_DELAY_MS + 1_000);
  strace.kill('SIGINT');
  await new Promise((r) => strace.once('exit', r));

  const sent = Math.ceil(messages / clients) * clients;
  const walPages = new Map<number, number>();
  const byFile = new Map<string, number>();
  let walPath = '';
  for (const raw of readFileSync(traceFile, 'utf8').split('\n')) {
    const m = /pwrite64\(\d+<([^>]*)>, "((?:\\x[0-9a-f]{2})*)"(?:\.\.\.)?, (\d+),/.exec(raw);
    if (!m) continue;
    const path = unhex(m[1] as string);
    const kind = path.endsWith('-wal') ? 'WAL' : path.includes('etilqs_') ? 'temporary files' : path.endsWith('.db') ? 'database file (checkpoints)' : path;
    byFile.set(kind, (byFile.get(kind) ?? 0) + 1);
    if (kind === 'WAL' && m[3] === '24') {
      walPath = path;
      const b = Buffer.from(unhex(m[2] as string), 'latin1');
      const page = b.readUInt32BE(0);
      walPages.set(page, (walPages.get(page) ?? 0) + 1);
    }
  }
  if (walPath === '') throw new Error('strace recorded no WAL frame (is strace installed, and may it attach?)');
  const db = new Database(walPath.slice(0, -'-wal'.length), { readonly: true });
  const owner = new Map<number, string>();
  for (const r of db.prepare('select name, pageno from dbstat').all() as Array<{ name: string; pageno: number }>) owner.set(r.pageno, r.name);
  db.close();
  const byTree = new Map<string, number>();
  for (const [page, n] of walPages) {
    const name = owner.get(page) ?? '(pages freed since)';
    byTree.set(name, (byTree.get(name) ?? 0) + n);
  }
  const frames = [...walPages.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`${sent} messages by ${clients} client(s) in a ${members}-member room: ${(frames / sent).toFixed(1)} WAL pages per message\n`);
  for (const [name, n] of [...byTree].sort((a, b) => b[1] - a[1])) process.stdout.write(`${(n / sent).toFixed(1).padStart(6)}  ${name}\n`);
  process.stdout.write('writes (pwrite) per message by file:\n');
  for (const [kind, n] of [...byFile].sort((a, b) => b[1] - a[1])) process.stdout.write(`${(n / sent).toFixed(1).padStart(6)}  ${kind}\n`);
} finally {
  rmSync(traceFile, { force: true });
  await server.close();
}
