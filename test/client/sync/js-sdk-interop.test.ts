import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientEvent, createClient, RoomEvent, RoomMemberEvent, SyncState, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { defaultRuleset } from '../../../src/protocol/index.js';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, createRoom, send, startSyncServer, type Api } from './helpers.js';

// matrix-js-sdk's sync loop against our /sync: it must reach PREPARED, see rooms with their names and members,
// receive live messages through long-polls, and show typing and receipts. The push rules API belongs to
// other work; until it lands the SDK's one push-rules fetch is answered here with the default ruleset (the SDK
// retries it forever before its first /sync otherwise).

function fetchWithPushRules(userId: string): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    if (/\/_matrix\/client\/v3\/pushrules\/?(\?|$)/.test(url)) {
      const probe = await fetch(input, init);
      if (probe.status !== 404) return probe;
      return new Response(JSON.stringify({ global: defaultRuleset(userId) }), { headers: { 'Content-Type': 'application/json' } });
    }
    return fetch(input, init);
  };
}

function waitFor<T>(what: string, register: (resolve: (v: T) => void) => void, ms = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

describe('matrix-js-sdk sync loop', () => {
  let server: TestServer;
  let alice: Api;
  let bob: Api;
  let client: MatrixClient;
  before(async () => {
    server = await startSyncServer();
    alice = await apiFor(server, 'alice');
    bob = await apiFor(server, 'bob');
  });
  after(async () => {
    client?.stopClient();
    await server.close();
  });

  test('reaches PREPARED, shows the room, and receives live messages, typing and receipts', async () => {
    const roomId = await createRoom(alice, { name: 'SDK room', preset: 'public_chat' });
    await bob.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    await send(alice, roomId, 'history');
    client = createClient({ baseUrl: server.baseUrl, accessToken: bob.user.accessToken, userId: bob.user.userId, deviceId: bob.user.deviceId, fetchFn: fetchWithPushRules(bob.user.userId) });
    const prepared = waitFor<void>('PREPARED', (done) => {
      client.on(ClientEvent.Sync, (state: SyncState) => {
        if (state === SyncState.Prepared) done();
      });
    });
    await client.startClient({ initialSyncLimit: 10 });
    await prepared;
    const room = client.getRoom(roomId) as Room;
    assert.ok(room, 'the SDK knows the room');
    assert.equal(room.name, 'SDK room');
    assert.equal(room.getMyMembership(), 'join');
    assert.ok(room.getLiveTimeline().getEvents().some((e) => e.getContent().body === 'history'));

    const live = waitFor<MatrixEvent>('live message', (done) => {
      client.on(RoomEvent.Timeline, (ev: MatrixEvent, r: Room | undefined) => {
        if (r?.roomId === roomId && ev.getContent().body === 'live!') done(ev);
      });
    });
    const started = Date.now();
    const eventId = await send(alice, roomId, 'live!');
    const ev = await live;
    assert.equal(ev.getId(), eventId);
    assert.ok(Date.now() - started < 5_000);

    const typing = waitFor<void>('typing', (done) => {
      client.on(RoomMemberEvent.Typing, (_e, member) => {
        if (member.userId === alice.user.userId && member.typing) done();
      });
    });
    await alice.ok('PUT', `/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.user.userId)}`, { typing: true, timeout: 5000 });
    await typing;

    const receipt = waitFor<void>('receipt', (done) => {
      client.on(RoomEvent.Receipt, () => {
        if (room.getEventReadUpTo(alice.user.userId) === eventId) done();
      });
    });
    await alice.ok('POST', `/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`, {});
    await receipt;
  });
});
