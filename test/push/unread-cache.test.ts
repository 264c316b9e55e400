import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UnreadCountCache } from '../../src/push/unread-cache.js';
import type { ThreadCounts, UnreadFloor } from '../../src/storage/interfaces/index.js';

// The cache against a model store: push action rows (position, thread, notify, highlight) counted the way the
// store counts them, so every answer can be checked against a count from scratch.

interface Row {
  at: number;
  thread: string;
  highlight?: boolean;
}

function modelStore(rows: Row[]) {
  const calls: UnreadFloor[] = [];
  const count = (floor: UnreadFloor): Map<string, ThreadCounts> => {
    const out = new Map<string, ThreadCounts>();
    for (const r of rows) {
      if (r.at <= floor.after || (floor.upTo !== undefined && r.at > floor.upTo)) continue;
      const read = floor.threads.get(r.thread);
      if (read !== undefined && read > floor.after && r.at <= read) continue;
      const c = out.get(r.thread) ?? { notify: 0, highlight: 0 };
      out.set(r.thread, { notify: c.notify + 1, highlight: c.highlight + (r.highlight ? 1 : 0) });
    }
    return out;
  };
  return { calls, count, fn: async (_u: string, _r: string, floor: UnreadFloor) => (calls.push(floor), count(floor)) };
}

const plain = (m: ReadonlyMap<string, ThreadCounts>) => Object.fromEntries([...m].sort());
const unread = (unthreaded: number, threads: Array<[string, number]> = []) => ({ unthreaded, threads: new Map(threads) });

describe('UnreadCountCache', () => {
  test('a later position counts only the rows after the previous one, and the sum is the full count', async () => {
    const rows: Row[] = [{ at: 1, thread: 'main' }, { at: 2, thread: 'main', highlight: true }];
    const store = modelStore(rows);
    const cache = new UnreadCountCache(store.fn);
    assert.deepEqual(plain(await cache.counts('@u', '!r', unread(-1), 2)), { main: { notify: 2, highlight: 1 } });
    assert.equal(store.calls.at(-1)?.after, -1);
    rows.push({ at: 3, thread: 'main' }, { at: 4, thread: '$root' }, { at: 5, thread: 'main' });
    // A sync covering position 4 must not count the row at 5.
    assert.deepEqual(plain(await cache.counts('@u', '!r', unread(-1), 4)), plain(store.count({ after: -1, threads: new Map(), upTo: 4 })));
    assert.deepEqual({ after: store.calls.at(-1)?.after, upTo: store.calls.at(-1)?.upTo }, { after: 2, upTo: 4 });
    assert.deepEqual(plain(await cache.counts('@u', '!r', unread(-1), 5)), { $root: { notify: 1, highlight: 0 }, main: { notify: 4, highlight: 1 } });
    const calls = store.calls.length;
    assert.deepEqual(plain(await cache.counts('@u', '!r', unread(-1), 5)), { $root: { notify: 1, highlight: 0 }, main: { notify: 4, highlight: 1 } });
    assert.equal(store.calls.length, calls, 'the same position asks the store nothing');
  });

  test('a new read receipt counts afresh; a thread read further keeps its rows out of the later counts', async () => {
    const rows: Row[] = [1, 2, 3].map((at) => ({ at, thread: at === 2 ? '$t' : 'main' }));
    const store = modelStore(rows);
    const cache = new UnreadCountCache(store.fn);
    await cache.counts('@u', '!r', unread(-1), 3);
    assert.deepEqual(plain(await cache.counts('@u', '!r', unread(2), 3)), { main: { notify: 1, highlight: 0 } });
    assert.equal(store.calls.at(-1)?.after, 2, 'counted from the receipt, not added to the old counts');
    // A threaded receipt at 6 in $t, then rows at 4..7: the delta leaves out $t's rows up to 6.
    rows.push({ at: 4, thread: '$t' }, { at: 5, thread: 'main' }, { at: 6, thread: '$t' }, { at: 7, thread: '$t' });
    const read = unread(2, [['$t', 6]]);
    await cache.counts('@u', '!r', read, 5);
    rows.push({ at: 8, thread: '$t' });
    const got = await cache.counts('@u', '!r', read, 8);
    assert.deepEqual(plain(got), plain(store.count({ after: 2, threads: read.threads, upTo: 8 })));
    assert.deepEqual(plain(got), { $t: { notify: 2, highlight: 0 }, main: { notify: 2, highlight: 0 } });
  });

  test('an earlier position than the kept one is counted in full and does not replace it', async () => {
    const rows: Row[] = [1, 2, 3, 4].map((at) => ({ at, thread: 'main' }));
    const store = modelStore(rows);
    const cache = new UnreadCountCache(store.fn);
    await cache.counts('@u', '!r', unread(-1), 4);
    assert.deepEqual(plain(await cache.counts('@u', '!r', unread(-1), 2)), { main: { notify: 2, highlight: 0 } });
    const calls = store.calls.length;
    assert.deepEqual(plain(await cache.counts('@u', '!r', unread(-1), 4)), { main: { notify: 4, highlight: 0 } });
    assert.equal(store.calls.length, calls);
  });

  test('users and rooms are kept apart, and the least recently used entry goes past the bound', async () => {
    const store = modelStore([{ at: 1, thread: 'main' }]);
    const cache = new UnreadCountCache(store.fn, 2);
    await cache.counts('@a', '!r', unread(-1), 1);
    await cache.counts('@b', '!r', unread(-1), 1);
    await cache.counts('@a', '!r', unread(-1), 1);
    await cache.counts('@a', '!s', unread(-1), 1);
    const calls = store.calls.length;
    await cache.counts('@a', '!r', unread(-1), 1);
    assert.equal(store.calls.length, calls, '@a in !r was used recently and kept');
    await cache.counts('@b', '!r', unread(-1), 1);
    assert.equal(store.calls.length, calls + 1, '@b in !r was evicted');
  });
});
