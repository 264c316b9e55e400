import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, apiWithToken, createRoom, startSyncServer, sync, type Api, type J } from '../sync/helpers.js';

// Unread counts over many incremental syncs: each sync adds only the rows since the user's previous one
// (src/push/unread-cache.ts), so every step is checked against counts kept here, through read receipts,
// threads, a second device and a fresh initial sync.

const enc = encodeURIComponent;
let txn = 0;

describe('unread counts across incremental syncs', () => {
  let server: TestServer;
  let alice: Api;
  let bob: Api;
  let roomId: string;
  before(async () => {
    server = await startSyncServer();
    alice = await apiFor(server, 'alice');
    bob = await apiFor(server, 'bob');
    roomId = await createRoom(alice, { preset: 'public_chat' });
    await bob.ok('POST', `/v3/join/${enc(roomId)}`, {});
  });
  after(() => server.close());

  async function post(content: Record<string, unknown>): Promise<string> {
    return String((await alice.ok('PUT', `/v3/rooms/${enc(roomId)}/send/m.room.message/c${++txn}`, content)).event_id);
  }

  test('every step matches the messages, mentions, thread replies and receipts so far', async () => {
    const filter = JSON.stringify({ room: { timeline: { limit: 1, unread_thread_notifications: true } } });
    let since = (await sync(bob, { filter })).next_batch as string;
    const root = await post({ msgtype: 'm.text', body: 'root' });
    let main = { n: 1, h: 0 };
    let thread = { n: 0, h: 0 };
    const check = async (label: string) => {
      const s = await sync(bob, { filter, since, timeout: 5000 });
      since = s.next_batch;
      const room = s.rooms.join[roomId];
      assert.ok(room, `${label}: the room has a section`);
      assert.deepEqual(room.unread_notifications, { notification_count: main.n, highlight_count: main.h }, label);
      assert.deepEqual(room.unread_thread_notifications ?? {}, thread.n === 0 ? {} : { [root]: { notification_count: thread.n, highlight_count: thread.h } }, label);
    };
    await check('root');
    let lastMain = root;
    let lastThread = '';
    for (let i = 1; i <= 24; i++) {
      const mention = i % 5 === 0;
      const inThread = i % 3 === 0;
      const content: Record<string, unknown> = { msgtype: 'm.text', body: `message ${i}` };
      if (mention) content['m.mentions'] = { user_ids: [bob.user.userId] };
      if (inThread) content['m.relates_to'] = { rel_type: 'm.thread', event_id: root };
      const id = await post(content);
      const counts = inThread ? thread : main;
      counts.n++;
      if (mention) counts.h++;
      if (inThread) lastThread = id;
      else lastMain = id;
      if (i === 8) {
        // Read the thread up to its latest reply: only the thread's counts go.
        await bob.ok('POST', `/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(lastThread)}`, { thread_id: root });
        thread = { n: 0, h: 0 };
      }
      if (i === 16) {
        // Read the main timeline: an unthreaded receipt covers every thread up to it.
        await bob.ok('POST', `/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(lastMain)}`, {});
        main = { n: 0, h: 0 };
        thread = { n: 0, h: 0 };
      }
      await check(`after message ${i}`);
    }
    assert.ok(main.n > 0 && thread.n > 0 && main.h + thread.h > 0, 'the last steps still had counts to check');

    // A second device of bob, from an initial sync, and again from bob's first device without a since token.
    const login = await fetch(`${server.baseUrl}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bob' }, password: bob.user.password }),
    });
    const l = (await login.json()) as { access_token: string; device_id: string };
    const phone = apiWithToken(server, { ...bob.user, accessToken: l.access_token, deviceId: l.device_id });
    for (const api of [phone, bob]) {
      const s: J = await sync(api, { filter });
      assert.deepEqual(s.rooms.join[roomId].unread_notifications, { notification_count: main.n, highlight_count: main.h });
      assert.deepEqual(s.rooms.join[roomId].unread_thread_notifications, { [root]: { notification_count: thread.n, highlight_count: thread.h } });
    }
  });
});
