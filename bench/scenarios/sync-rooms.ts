import { performance } from 'node:perf_hooks';
import type { ScenarioResult } from '../run.js';
import { startCeiling } from '../lib/ceiling.js';
import { call, createRoom, pool, registerUsers, sendText, sync, type User } from '../lib/client.js';
import { engines } from '../lib/engines.js';
import { startBenchServer } from '../lib/server.js';
import { round } from '../lib/stats.js';

// Scenario 6: initial and incremental /sync for a user in N rooms (each with a message). The ceiling is bare koa
// serving a stored JSON document of the same size as our initial sync: the cost of serialising and moving the
// bytes, which no server can avoid.

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: round(performance.now() - t, 1), value };
}

export async function run(quick: boolean): Promise<ScenarioResult> {
  const o = quick ? { rooms: 20, child: false } : { rooms: 1000, child: true };
  const rows: Array<Record<string, unknown>> = [];
  for (const engine of engines()) {
    const server = await startBenchServer(engine, { child: o.child });
    try {
      const setup = performance.now();
      const [user] = (await registerUsers(server.baseUrl, 'many', 1)) as [User];
      // One at a time: concurrent createRoom by one user can derive the same v12 room id.
      const rooms = await pool(Array.from({ length: o.rooms }, (_, i) => i), 1, async (i) => {
        const room = await createRoom(server.baseUrl, user, { name: `room ${i}` });
        await sendText(server.baseUrl, user, room, `hello ${i}`);
        return room;
      });
      const setupS = round((performance.now() - setup) / 1000, 1);
      const initial = await timed(() => sync(server.baseUrl, user));
      const initialAgain = await timed(() => sync(server.baseUrl, user));
      const bytes = JSON.stringify(initial.value).length;
      const next = String(initial.value.next_batch);
      const empty = await timed(() => sync(server.baseUrl, user, { since: next, timeout: '0' }));
      await sendText(server.baseUrl, user, rooms[0] as string, 'one more');
      const one = await timed(() => sync(server.baseUrl, user, { since: next, timeout: '0' }));

      const ceiling = await startCeiling(o.child);
      let bare: number;
      try {
        await call(ceiling.baseUrl, 'PUT', '/stored', null, initial.value);
        await call(ceiling.baseUrl, 'GET', '/stored', null);
        bare = (await timed(() => call(ceiling.baseUrl, 'GET', '/stored', null))).ms;
      } finally {
        await ceiling.close();
      }
      rows.push({ db: engine, figure: 'initial sync ms (first)', value: initial.ms, 'bare koa same body': bare, ratio: round(initial.ms / bare, 1), note: `${round(bytes / 1024, 0)} KiB; setup ${setupS} s` });
      rows.push({ db: engine, figure: 'initial sync ms (again)', value: initialAgain.ms, 'bare koa same body': bare, ratio: round(initialAgain.ms / bare, 1), note: '' });
      rows.push({ db: engine, figure: 'incremental, nothing new ms', value: empty.ms, 'bare koa same body': '', ratio: '', note: 'timeout=0' });
      rows.push({ db: engine, figure: 'incremental, 1 new message ms', value: one.ms, 'bare koa same body': '', ratio: '', note: 'timeout=0' });
    } finally {
      await server.close();
    }
  }
  return { scenario: 'sync-rooms', parameters: o, rows };
}
