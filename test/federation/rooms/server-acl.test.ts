import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';
import { buildPdu, fedRequest, sendTransaction, type RoomView } from './forge.js';

// m.room.server_acl across three real servers: hs1's room denies hs3. hs3's PDUs are refused one by one on
// /send (and hs2, which holds the same ACL, refuses them too), hs3 gets 403 M_FORBIDDEN on the protected
// endpoints, hs2 keeps working normally, and nobody may send an ACL that locks out their own server.

describe('federation: server ACLs', () => {
  let hs1: FedServer;
  let hs2: FedServer;
  let hs3: FedServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let roomId: string;
  let view: RoomView;

  before(async () => {
    [hs1, hs2, hs3] = (await startFederation(['hs1.test', 'hs2.test', 'hs3.test'])) as [FedServer, FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    carol = await user(hs3, 'carol');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' });
    roomId = created.body.room_id as string;
    for (const [s, u] of [[hs2, bob], [hs3, carol]] as const) {
      const joined = await api(s, u, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?server_name=hs1.test`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
    }
    await until('hs1 sees bob and carol joined', async () =>
      (await membership(hs1, alice, roomId, bob.userId)) === 'join' && (await membership(hs1, alice, roomId, carol.userId)) === 'join');
    const room = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.create/`);
    view = { resident: hs1, viewer: alice, roomId, version: (room.body.room_version as string | undefined) ?? '1' };
  });
  after(async () => {
    await hs3?.server.close();
    await hs2?.server.close();
    await hs1?.server.close();
  });

  const aclPath = () => `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.server_acl/`;

  test('a local user cannot send an ACL that would deny their own server', async () => {
    const r = await api(hs1, alice, 'PUT', aclPath(), { allow: ['*'], deny: ['HS1.test'] });
    assert.equal(r.status, 400);
    assert.equal(r.body.errcode, 'M_INVALID_PARAM');
    const none = await api(hs1, alice, 'PUT', aclPath(), { deny: ['hs3.test'] });
    assert.equal(none.status, 400, 'an ACL without allow denies everyone, us included');
  });

  test('after hs1 denies hs3, hs3\'s messages are refused and hs2\'s accepted', async () => {
    const set = await api(hs1, alice, 'PUT', aclPath(), { allow: ['*'], deny: ['hs3.test'], allow_ip_literals: false });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    await until('hs2 holds the ACL', async () => (await api(hs2, bob, 'GET', aclPath())).status === 200);
    await until('hs3 holds the ACL', async () => (await api(hs3, carol, 'GET', aclPath())).status === 200);

    // The natural path: carol's server sends her message to hs1 and hs2, who both refuse it.
    await send(hs3, carol, roomId, 'from carol');
    await send(hs2, bob, roomId, 'from bob');
    await until('alice sees bob\'s message', async () => (await bodies(hs1, alice, roomId)).includes('from bob'));
    assert.ok(!(await bodies(hs1, alice, roomId)).includes('from carol'));
    assert.ok(!(await bodies(hs2, bob, roomId)).includes('from carol'));

    // The same, checked directly: a transaction from hs3 gets a per-PDU error; one from hs2 is accepted.
    const fromCarol = await buildPdu(view, hs3, carol.userId, 'm.room.message', { msgtype: 'm.text', body: 'direct from hs3' });
    const fromBob = await buildPdu(view, hs2, bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'direct from hs2' });
    const denied = await sendTransaction(hs3, hs1, [fromCarol.pdu]);
    assert.equal(denied.status, 200);
    assert.match((denied.body.pdus as Record<string, { error?: string }>)[fromCarol.eventId]?.error ?? '', /server ACL/);
    const accepted = await sendTransaction(hs2, hs1, [fromBob.pdu]);
    assert.deepEqual((accepted.body.pdus as Record<string, unknown>)[fromBob.eventId], {});
    const seen = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(fromCarol.eventId)}`);
    assert.equal(seen.status, 404);
  });

  test('the protected endpoints answer 403 M_FORBIDDEN to hs3 and work for hs2', async () => {
    const last = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1`);
    const eventId = (last.body.chunk as Array<{ event_id: string }>)[0]?.event_id as string;
    const paths = [
      `/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(eventId)}`,
      `/_matrix/federation/v1/state/${enc(roomId)}?event_id=${enc(eventId)}`,
      `/_matrix/federation/v1/event_auth/${enc(roomId)}/${enc(eventId)}`,
      `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc('@dave:hs3.test')}?ver=${view.version}`,
      `/_matrix/federation/v1/make_leave/${enc(roomId)}/${enc(carol.userId)}`,
    ];
    for (const path of paths) {
      const denied = await fedRequest(hs3, hs1, 'GET', path);
      assert.equal(denied.status, 403, `${path}: ${JSON.stringify(denied.body)}`);
      assert.equal(denied.body.errcode, 'M_FORBIDDEN');
    }
    const sendJoin = await fedRequest(hs3, hs1, 'PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc('$x')}`, {});
    assert.equal(sendJoin.status, 403);
    assert.equal(sendJoin.body.errcode, 'M_FORBIDDEN');
    const allowed = await fedRequest(hs2, hs1, 'GET', paths[0] as string);
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
  });

  test('lifting the ACL lets hs3 back in', async () => {
    const set = await api(hs1, alice, 'PUT', aclPath(), { allow: ['*'] });
    assert.equal(set.status, 200);
    const fromCarol = await buildPdu(view, hs3, carol.userId, 'm.room.message', { msgtype: 'm.text', body: 'carol is back' });
    const res = await sendTransaction(hs3, hs1, [fromCarol.pdu]);
    assert.deepEqual((res.body.pdus as Record<string, unknown>)[fromCarol.eventId], {});
    assert.ok((await bodies(hs1, alice, roomId)).includes('carol is back'));
  });
});
