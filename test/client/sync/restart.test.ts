import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartableServer } from '../../helpers/server.js';
import { registerUser, TEST_USER_CONFIG } from '../../helpers/users.js';
import { apiWithToken, createRoom, send, sync, type J } from './helpers.js';

// Sync tokens are stream positions stored in the database, so a token from before a restart keeps working.

test('a since token from before a restart gives exactly the events after it', async () => {
  const hs = await restartableServer(TEST_USER_CONFIG);
  const { config } = hs;
  try {
    let server = await hs.boot();
    const user = await registerUser(server.baseUrl, config, 'alice');
    let alice = apiWithToken(server, user);
    const roomId = await createRoom(alice);
    await send(alice, roomId, 'before');
    await alice.ok('PUT', `/v3/user/${encodeURIComponent(user.userId)}/account_data/org.example.k`, { v: 1 });
    const before: J = await sync(alice);
    await server.close();

    server = await hs.boot();
    alice = apiWithToken(server, user);
    const nothing: J = await sync(alice, { since: before.next_batch });
    assert.deepEqual(nothing.rooms.join, {});
    assert.deepEqual(nothing.account_data.events, []);
    const eventId = await send(alice, roomId, 'after');
    const next: J = await sync(alice, { since: before.next_batch });
    assert.deepEqual(next.rooms.join[roomId].timeline.events.map((e: J) => e.event_id), [eventId]);
    await server.close();
  } finally {
    await hs.dispose();
  }
});
