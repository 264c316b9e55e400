import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FederationRequestError } from '../../../src/federation/outbound/index.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, enc, signingClientAs, startFederation, user, type FedServer } from '../rooms/harness.js';

// A space on hs1 links a sub-space that lives only on hs2: alice's /hierarchy on hs1 walks into it through
// the federation /hierarchy, and sees the public rooms of the sub-space but not its invite-only room.

async function createRoom(s: FedServer, u: RegisteredUser, body: Record<string, unknown>): Promise<string> {
  const r = await api(s, u, 'POST', '/_matrix/client/v3/createRoom', body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.room_id as string;
}

async function link(s: FedServer, u: RegisteredUser, space: string, child: string, via: string, order: string): Promise<void> {
  // An explicit order: two links sent in the same millisecond would otherwise sort by room id.
  const r = await api(s, u, 'PUT', `/_matrix/client/v3/rooms/${enc(space)}/state/m.space.child/${enc(child)}`, { via: [via], order });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

describe('space hierarchy across servers', () => {
  let hs: FedServer[];
  let alice: RegisteredUser;
  let space: string;
  let local: string;
  let subSpace: string;
  let remotePublic: string;
  let remotePrivate: string;
  let asHs1: Awaited<ReturnType<typeof signingClientAs>>;
  const overrides: Record<string, string> = {};

  before(async () => {
    hs = await startFederation(['hs1.test', 'hs2.test'], overrides);
    const [hs1, hs2] = hs as [FedServer, FedServer];
    alice = await user(hs1, 'alice');
    const bob = await user(hs2, 'bob');
    space = await createRoom(hs1, alice, { preset: 'public_chat', name: 'Home space', creation_content: { type: 'm.space' } });
    local = await createRoom(hs1, alice, { preset: 'public_chat', name: 'Local room' });
    subSpace = await createRoom(hs2, bob, { preset: 'public_chat', name: 'Remote sub-space', topic: 'on hs2', creation_content: { type: 'm.space' } });
    remotePublic = await createRoom(hs2, bob, { preset: 'public_chat', name: 'Remote public room', room_alias_name: 'remote-public' });
    remotePrivate = await createRoom(hs2, bob, { preset: 'private_chat', name: 'Remote private room' });
    await link(hs2, bob, subSpace, remotePublic, 'hs2.test', 'a');
    await link(hs2, bob, subSpace, remotePrivate, 'hs2.test', 'b');
    await link(hs1, alice, space, local, 'hs1.test', 'a');
    await link(hs1, alice, space, subSpace, 'hs2.test', 'b');

    asHs1 = await signingClientAs(hs1, overrides);
  });
  after(async () => {
    await asHs1?.close();
    for (const s of hs ?? []) await s.server.close();
  });

  test('the client /hierarchy on hs1 includes the sub-space held only by hs2 and its public room, not its private room', async () => {
    const [hs1] = hs as [FedServer];
    const r = await api(hs1, alice, 'GET', `/_matrix/client/v1/rooms/${enc(space)}/hierarchy`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertMatchesSpec('client-server', 'GET', '/_matrix/client/v1/rooms/{roomId}/hierarchy', 200, r.body);
    const rooms = r.body.rooms as Array<{ room_id: string; name?: string; topic?: string; room_type?: string; children_state: Array<{ state_key: string }> }>;
    assert.deepEqual(rooms.map((x) => x.room_id), [space, local, subSpace, remotePublic], 'depth-first, in the spec order');
    const sub = rooms.find((x) => x.room_id === subSpace);
    assert.equal(sub?.name, 'Remote sub-space');
    assert.equal(sub?.topic, 'on hs2');
    assert.equal(sub?.room_type, 'm.space');
    assert.deepEqual(sub?.children_state.map((c) => c.state_key).sort(), [remotePrivate, remotePublic].sort(), 'its links are shown');
    assert.equal(rooms.find((x) => x.room_id === remotePublic)?.name, 'Remote public room');

    const shallow = await api(hs1, alice, 'GET', `/_matrix/client/v1/rooms/${enc(space)}/hierarchy?max_depth=1`);
    assert.deepEqual((shallow.body.rooms as Array<{ room_id: string }>).map((x) => x.room_id), [space, local, subSpace]);
  });

  test('a room summary of a room only hs2 holds comes through federation (by id with via, or by hs2 alias); a private one is 404', async () => {
    const [hs1] = hs as [FedServer];
    const byId = await api(hs1, alice, 'GET', `/_matrix/client/v1/room_summary/${enc(remotePublic)}?via=hs2.test`);
    assert.equal(byId.status, 200, JSON.stringify(byId.body));
    assertMatchesSpec('client-server', 'GET', '/_matrix/client/v1/room_summary/{roomIdOrAlias}', 200, byId.body);
    assert.equal(byId.body.name, 'Remote public room');
    assert.equal(byId.body.membership, undefined);
    const byAlias = await api(hs1, alice, 'GET', `/_matrix/client/v1/room_summary/${enc('#remote-public:hs2.test')}`);
    assert.equal(byAlias.status, 200, JSON.stringify(byAlias.body));
    assert.equal(byAlias.body.room_id, remotePublic);
    const hidden = await api(hs1, alice, 'GET', `/_matrix/client/v1/room_summary/${enc(remotePrivate)}?via=hs2.test`);
    assert.equal(hidden.status, 404, JSON.stringify(hidden.body));
  });

  test('the federation /hierarchy answer matches the spec and hides what the asking server cannot reach', async () => {
    const body = await asHs1.client.getJson('hs2.test', `/_matrix/federation/v1/hierarchy/${enc(subSpace)}`);
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/hierarchy/{roomId}', 200, body);
    const room = body.room as { room_id: string; children_state: unknown[] };
    assert.equal(room.room_id, subSpace);
    assert.equal(room.children_state.length, 2);
    assert.deepEqual((body.children as Array<{ room_id: string }>).map((c) => c.room_id), [remotePublic]);
    assert.deepEqual(body.inaccessible_children, [remotePrivate]);

    await assert.rejects(
      asHs1.client.getJson('hs2.test', `/_matrix/federation/v1/hierarchy/${enc(remotePrivate)}`),
      (err: unknown) => err instanceof FederationRequestError && err.status === 404 && err.errcode === 'M_NOT_FOUND',
    );
    await assert.rejects(
      asHs1.client.getJson('hs2.test', `/_matrix/federation/v1/hierarchy/${enc('!unknown:hs2.test')}`),
      (err: unknown) => err instanceof FederationRequestError && err.status === 404,
    );
  });
});
