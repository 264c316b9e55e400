import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisteredUser } from '../../helpers/users.js';
import { makeDevice } from '../../users/e2e/fixtures.js';
import { api, enc, membership, send, startFederation, until, user, type FedServer } from '../rooms/harness.js';

// EDUs between two real servers sharing a room: typing, read receipts, presence, to-device messages and
// device-list updates made on one server show up in the other server's /sync.

type SyncBody = Record<string, unknown> & { next_batch: string };

/** Syncs incrementally from `since` until `pick` finds something in a response (or the time runs out). */
async function syncUntil<T>(s: FedServer, u: RegisteredUser, since: string, what: string, pick: (body: SyncBody) => T | undefined): Promise<T> {
  let token = since;
  return until(what, async () => {
    const r = await api(s, u, 'GET', `/_matrix/client/v3/sync?timeout=500&since=${enc(token)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const body = r.body as SyncBody;
    token = body.next_batch;
    return pick(body);
  }, 20_000);
}

async function syncToken(s: FedServer, u: RegisteredUser): Promise<string> {
  const r = await api(s, u, 'GET', '/_matrix/client/v3/sync?timeout=0');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.next_batch as string;
}

function ephemeral(body: SyncBody, roomId: string, type: string): Record<string, unknown> | undefined {
  const rooms = body.rooms as { join?: Record<string, { ephemeral?: { events: Array<{ type: string; content: Record<string, unknown> }> } }> } | undefined;
  return rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === type)?.content;
}

describe('EDUs between two servers', () => {
  let hs: FedServer[];
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;

  before(async () => {
    hs = await startFederation(['hs1.test', 'hs2.test']);
    const [hs1, hs2] = hs as [FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_alias_name: 'edus' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    roomId = created.body.room_id as string;
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?server_name=hs1.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await until('hs1 sees bob join', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
  });
  after(async () => {
    for (const s of hs ?? []) await s.server.close();
  });

  test('typing on hs1 reaches bob on hs2, and bob typing reaches alice', async () => {
    const [hs1, hs2] = hs as [FedServer, FedServer];
    const bobSince = await syncToken(hs2, bob);
    const put = await api(hs1, alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: true, timeout: 20000 });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const ids = await syncUntil(hs2, bob, bobSince, 'alice typing on hs2', (b) => {
      const c = ephemeral(b, roomId, 'm.typing');
      const userIds = c?.user_ids as string[] | undefined;
      return userIds?.includes(alice.userId) ? userIds : undefined;
    });
    assert.deepEqual(ids, [alice.userId]);

    const aliceSince = await syncToken(hs1, alice);
    await api(hs2, bob, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { typing: true, timeout: 20000 });
    await syncUntil(hs1, alice, aliceSince, 'bob typing on hs1', (b) => {
      const userIds = ephemeral(b, roomId, 'm.typing')?.user_ids as string[] | undefined;
      return userIds?.includes(bob.userId) ? true : undefined;
    });

    // Stopping is an EDU too.
    const since2 = await syncToken(hs2, bob);
    await api(hs1, alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: false });
    await syncUntil(hs2, bob, since2, 'alice stopped typing on hs2', (b) => {
      const userIds = ephemeral(b, roomId, 'm.typing')?.user_ids as string[] | undefined;
      return userIds !== undefined && !userIds.includes(alice.userId) ? true : undefined;
    });
  });

  test('a read receipt on hs1 reaches hs2; a private one does not', async () => {
    const [hs1, hs2] = hs as [FedServer, FedServer];
    const eventId = await send(hs2, bob, roomId, 'read me');
    await until('hs1 has the message', async () => (await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`)).status === 200);
    const bobSince = await syncToken(hs2, bob);
    const priv = await api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read.private/${enc(eventId)}`, {});
    assert.equal(priv.status, 200, JSON.stringify(priv.body));
    const pub = await api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {});
    assert.equal(pub.status, 200, JSON.stringify(pub.body));
    const receipt = await syncUntil(hs2, bob, bobSince, 'alice receipt on hs2', (b) => {
      const c = ephemeral(b, roomId, 'm.receipt') as Record<string, Record<string, Record<string, { ts: number }>>> | undefined;
      return c?.[eventId]?.['m.read']?.[alice.userId];
    });
    assert.equal(typeof receipt.ts, 'number');
    // The private receipt stayed on hs1: bob's full view of the room's receipts has no m.read.private.
    const initial = await api(hs2, bob, 'GET', '/_matrix/client/v3/sync?timeout=0');
    const content = ephemeral(initial.body as SyncBody, roomId, 'm.receipt') as Record<string, Record<string, unknown>> | undefined;
    assert.equal(content?.[eventId]?.['m.read.private'], undefined);
  });

  test('presence set on hs1 is visible to bob on hs2', async () => {
    const [hs1, hs2] = hs as [FedServer, FedServer];
    const put = await api(hs1, alice, 'PUT', `/_matrix/client/v3/presence/${enc(alice.userId)}/status`, { presence: 'unavailable', status_msg: 'at lunch' });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const status = await until('hs2 knows alice is away', async () => {
      const r = await api(hs2, bob, 'GET', `/_matrix/client/v3/presence/${enc(alice.userId)}/status`);
      return r.status === 200 && r.body.presence === 'unavailable' ? r.body : undefined;
    });
    assert.equal(status.status_msg, 'at lunch');
  });

  test('a to-device message from bob on hs2 reaches alice\'s device on hs1', async () => {
    const [hs1, hs2] = hs as [FedServer, FedServer];
    const aliceSince = await syncToken(hs1, alice);
    const r = await api(hs2, bob, 'PUT', `/_matrix/client/v3/sendToDevice/m.test.ping/t${Date.now()}`, {
      messages: { [alice.userId]: { [alice.deviceId]: { hello: 'from hs2' } } },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const msg = await syncUntil(hs1, alice, aliceSince, 'to-device on hs1', (b) => {
      const events = (b.to_device as { events?: Array<{ type: string; sender: string; content: Record<string, unknown> }> } | undefined)?.events;
      return events?.find((e) => e.type === 'm.test.ping');
    });
    assert.equal(msg.sender, bob.userId);
    assert.deepEqual(msg.content, { hello: 'from hs2' });
  });

  test('alice uploading device keys puts her in bob\'s device_lists.changed on hs2', async () => {
    const [hs1, hs2] = hs as [FedServer, FedServer];
    const bobSince = await syncToken(hs2, bob);
    const up = await api(hs1, alice, 'POST', '/_matrix/client/v3/keys/upload', { device_keys: makeDevice(alice.userId, alice.deviceId).deviceKeys });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    await syncUntil(hs2, bob, bobSince, 'device list change on hs2', (b) => {
      const changed = (b.device_lists as { changed?: string[] } | undefined)?.changed;
      return changed?.includes(alice.userId) ? true : undefined;
    });
  });
});
