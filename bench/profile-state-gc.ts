// Cost of one state-group collection (SQLite, in-process): `node --import tsx bench/profile-state-gc.ts
// [events] [rewritten]`. Builds a room of `events` member changes (one state group each), gives the last
// `rewritten` events a fuller state the way the partial-state resync does (their old groups become a dead
// chain of deltas), then runs the collector three times: the first finds, the second deletes, the third finds
// nothing. Prints statements and CPU time per run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStorage } from '../src/storage/knex/index.js';
import { StateGroupCollector } from '../src/rooms/state-group-gc.js';
import type { Pdu, StateKey } from '../src/types/pdu.js';

const ROOM = '!profile:bench.test';
const N = Number(process.argv[2] ?? 3000);
const REWRITE = Math.min(N - 1, Number(process.argv[3] ?? 1000));
const logger = pino({ level: 'silent' });
const dir = await mkdtemp(join(tmpdir(), 'hearth-gc-'));
const storage = await openStorage({ engine: 'sqlite', path: join(dir, 'homeserver.db') }, logger);
await storage.migrate();
let statements = 0;
storage.knex.on('query', () => statements++);
const sk = (t: string, k: string): StateKey => `${t}\u0000${k}`;

let state = new Map<StateKey, string>();
const afters: Array<Map<StateKey, string>> = [];
let prev: string | null = null;
for (let i = 0; i < N; i++) {
  const id = `$e${i}`;
  const type = i === 0 ? 'm.room.create' : 'm.room.member';
  const stateKey = i === 0 ? '' : `@u${i % 500}:bench.test`;
  const pdu = { room_id: ROOM, sender: '@a:bench.test', type, state_key: stateKey, content: {}, origin_server_ts: 1, prev_events: prev !== null ? [prev] : [], auth_events: [], depth: i, hashes: { sha256: 'x' }, signatures: {} } as unknown as Pdu;
  const before = state;
  state = new Map(state).set(sk(type, stateKey), id);
  await storage.rooms.persistEvents({
    roomId: ROOM,
    events: [{ eventId: id, pdu, roomId: ROOM, depth: i, outlier: false, softFailed: false, rejectedReason: null, stateBefore: before, streamOrdering: i + 1 }],
    newForwardExtremities: [id],
    newCurrentState: state,
    ...(i === 0 ? { room: { roomId: ROOM, roomVersion: '10', creator: '@a:bench.test', isPublic: false, createdTs: 1 } } : {}),
  });
  afters.push(state);
  prev = id;
}
const extra = sk('m.room.member', '@late:bench.test');
const eventStates = [];
for (let i = N - REWRITE; i < N; i++) {
  eventStates.push({ eventId: `$e${i}`, stateBefore: new Map(afters[i - 1]).set(extra, '$late'), stateAfter: new Map(afters[i]).set(extra, '$late') });
}
await storage.rooms.completePartialState({ roomId: ROOM, events: [], eventStates, newCurrentState: new Map(state).set(extra, '$late') });

const groups = async () => Number(((await storage.knex('state_groups').count({ n: '*' })) as Array<{ n: unknown }>)[0]?.n);
const before = await groups();
const gc = new StateGroupCollector(storage.rooms, (_room, fn) => fn(), logger);
for (const label of ['run 1 (finds)', 'run 2 (deletes)', 'run 3 (nothing dead)']) {
  statements = 0;
  const cpu = process.cpuUsage();
  const result = await gc.run();
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${label}: ${JSON.stringify(result)} statements=${statements} cpu_ms=${((used.user + used.system) / 1000).toFixed(1)}\n`);
}
process.stdout.write(`state groups ${before} -> ${await groups()}\n`);
await storage.close();
await rm(dir, { recursive: true, force: true });
