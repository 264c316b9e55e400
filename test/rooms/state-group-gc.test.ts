import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { StateGroupCollector } from '../../src/rooms/state-group-gc.js';

// The collector's schedule and locking, against a fake store (test/storage/state-group-gc.test.ts runs it on
// real databases): deletions happen per room inside that room's lock, only for groups the previous run found
// too, and the timer runs until stop().

function fakeStore(dead: () => Map<string, number[]>) {
  const deletes: Array<{ roomId: string; ids: number[]; locked: boolean }> = [];
  let scans = 0;
  let inLock = false;
  return {
    deletes,
    scans: () => scans,
    setLocked: (v: boolean) => (inLock = v),
    store: {
      findDeadStateGroups: async () => {
        scans++;
        return dead();
      },
      deleteDeadStateGroups: async (roomId: string, ids: readonly number[]) => {
        deletes.push({ roomId, ids: [...ids], locked: inLock });
        return [...ids];
      },
    },
  };
}

test('deletes only what two runs in a row found dead, room by room under the room lock', async () => {
  let round = 0;
  const f = fakeStore(() => (round === 0 ? new Map([['!a', [1, 2]], ['!b', [7]]]) : new Map([['!a', [2, 3]], ['!b', [8]]])));
  const lockedRooms: string[] = [];
  const gc = new StateGroupCollector(
    f.store,
    async (roomId, fn) => {
      lockedRooms.push(roomId);
      f.setLocked(true);
      try {
        return await fn();
      } finally {
        f.setLocked(false);
      }
    },
    pino({ level: 'silent' }),
  );
  assert.deepEqual(await gc.run(), { found: 3, deleted: 0 });
  assert.deepEqual(f.deletes, []);
  round = 1;
  assert.deepEqual(await gc.run(), { found: 3, deleted: 1 });
  assert.deepEqual(f.deletes, [{ roomId: '!a', ids: [2], locked: true }]);
  assert.deepEqual(lockedRooms, ['!a']);
});

test('runs on its interval until stopped; concurrent run() calls share one collection', async () => {
  const f = fakeStore(() => new Map());
  const gc = new StateGroupCollector(f.store, (_room, fn) => fn(), pino({ level: 'silent' }));
  await Promise.all([gc.run(), gc.run()]);
  assert.equal(f.scans(), 1);
  gc.start(5);
  const until = Date.now() + 5000;
  while (f.scans() < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  assert.ok(f.scans() >= 4, `ran ${f.scans()} times`);
  await gc.stop();
  const after = f.scans();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(f.scans(), after, 'no run after stop()');
});

test('an interval of 0 never runs', async () => {
  const f = fakeStore(() => new Map());
  const gc = new StateGroupCollector(f.store, (_room, fn) => fn(), pino({ level: 'silent' }));
  gc.start(0);
  await new Promise((r) => setTimeout(r, 30));
  await gc.stop();
  assert.equal(f.scans(), 0);
});
