import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { START_FRAMES_PER_LOOK, walFrames } from '../../../src/storage/knex/wal-checkpointer.js';
import { describeStorage } from '../../helpers/storage.js';

// On SQLite the write-ahead log is checkpointed by a worker thread while writing is heavy, so no COMMIT on the
// event loop pays for copying pages into the database file and its fsync (the connection's own threshold is
// only a backstop). Light writing leaves the worker, and the memory it costs, out.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHUNK = 'x'.repeat(4_000); // about one 4 KiB page per row

test('the WAL page count is read from the WAL index as SQLite reports it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hs-walframes-'));
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(join(dir, 'probe.db'));
  try {
    assert.equal(walFrames(join(dir, 'probe.db-shm')), 0, 'no WAL index yet');
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('create table t (v text)');
    const insert = db.prepare('insert into t (v) values (?)');
    for (let i = 0; i < 50; i++) insert.run(`${i}${CHUNK}`);
    const [status] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
    assert.ok((status?.log ?? 0) > 50);
    assert.equal(walFrames(join(dir, 'probe.db-shm')), status?.log);
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
});

describeStorage('WAL checkpoint worker', (h) => {
  if (h.engine !== 'sqlite') return;

  test('under heavy writing committed pages reach the database file without a checkpoint on the server connection', async () => {
    const db = await h.createDatabase();
    const storage = await db.open();
    assert.equal(db.config.engine, 'sqlite');
    if (db.config.engine !== 'sqlite') return;
    const row: Array<{ wal_autocheckpoint: number }> = await storage.knex.raw('PRAGMA wal_autocheckpoint');
    assert.ok((row[0]?.wal_autocheckpoint ?? 0) >= 10_000, 'the server connection checkpoints only as a backstop');
    await storage.knex.schema.createTable('wal_probe', (t) => t.text('v'));
    const before = statSync(db.config.path).size;
    // Three seconds of ~2,000+ pages a second (~25 MB): past the start rate in every look, under the backstop
    // threshold in all, so only the worker can move them into the file.
    const perRound = Math.ceil(START_FRAMES_PER_LOOK * 1.2);
    let rows = 0;
    for (const end = Date.now() + 3_000; Date.now() < end; ) {
      await storage.knex.transaction(async (trx) => {
        for (let i = 0; i < perRound; i++) await trx('wal_probe').insert({ v: `${rows + i}${CHUNK}` });
      });
      rows += perRound;
      await sleep(100);
    }
    assert.ok(rows * 4_096 < 40_000_000, `${rows} rows stay under the backstop threshold`);
    const grown = before + rows * 4_000;
    const deadline = Date.now() + 10_000;
    while (statSync(db.config.path).size < grown && Date.now() < deadline) await sleep(50);
    assert.ok(statSync(db.config.path).size >= grown, `database file grew from ${before} to ${statSync(db.config.path).size}`);
    await storage.close();
  });

  test('light writing does not start the worker: its pages stay in the WAL', async () => {
    const db = await h.createDatabase();
    const storage = await db.open();
    if (db.config.engine !== 'sqlite') return;
    await storage.knex.schema.createTable('wal_probe', (t) => t.text('v'));
    const before = statSync(db.config.path).size;
    // ~100 pages a second for four seconds, then long enough for a worker to have checkpointed them.
    for (let t = 0; t < 8; t++) {
      await storage.knex.transaction(async (trx) => {
        for (let i = 0; i < 50; i++) await trx('wal_probe').insert({ v: `${t}.${i}${CHUNK}` });
      });
      await sleep(500);
    }
    await sleep(1_500);
    assert.ok(walFrames(`${db.config.path}-shm`) >= 400, 'the pages are in the WAL');
    assert.equal(statSync(db.config.path).size, before);
    await storage.close();
  });
});
