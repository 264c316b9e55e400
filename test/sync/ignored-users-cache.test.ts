import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoredUsersCache } from '../../src/sync/ignored-users-cache.js';
import type { UserDataStore } from '../../src/storage/interfaces/index.js';
import type { StreamNotice } from '../../src/types/notices.js';

// Ignore lists kept across syncs: read once per user, dropped by the user's account_data notice, and a read
// that raced a change is not kept.

function fixture() {
  const lists = new Map<string, Record<string, unknown>>([['@a:x', { '@spam:x': {} }]]);
  let reads = 0;
  let gate: Promise<void> | null = null;
  const userData = {
    async getAccountData(userId: string) {
      reads++;
      const content = { ignored_users: lists.get(userId) ?? {} };
      if (gate) await gate;
      return { content };
    },
  } as unknown as UserDataStore;
  const handlers: Array<(n: StreamNotice) => void> = [];
  const notices = { subscribe: (h: (n: StreamNotice) => void) => (handlers.push(h), () => undefined) };
  const publish = (n: StreamNotice) => handlers.forEach((h) => h(n));
  return { lists, userData, notices, publish, reads: () => reads, setGate: (g: Promise<void> | null) => (gate = g) };
}

test('read once per user until an account_data notice names the user', async () => {
  const f = fixture();
  const cache = new IgnoredUsersCache(f.userData, f.notices);
  assert.deepEqual([...(await cache.get('@a:x'))], ['@spam:x']);
  await cache.get('@a:x');
  assert.equal(f.reads(), 1);
  f.publish({ stream: 'account_data', position: 2, userIds: ['@b:x'] });
  await cache.get('@a:x');
  assert.equal(f.reads(), 1, "another user's change keeps the entry");
  f.lists.set('@a:x', {});
  f.publish({ stream: 'account_data', position: 3, userIds: ['@a:x'] });
  assert.deepEqual([...(await cache.get('@a:x'))], []);
  assert.equal(f.reads(), 2);
});

test('a read racing a change is used once but not kept', async () => {
  const f = fixture();
  const cache = new IgnoredUsersCache(f.userData, f.notices);
  let open: () => void = () => undefined;
  f.setGate(new Promise<void>((r) => (open = r)));
  const pending = cache.get('@a:x');
  await new Promise((r) => setImmediate(r));
  f.publish({ stream: 'account_data', position: 4, userIds: ['@a:x'] });
  open();
  f.setGate(null);
  await pending;
  await cache.get('@a:x');
  assert.equal(f.reads(), 2);
});
