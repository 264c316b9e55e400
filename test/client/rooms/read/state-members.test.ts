import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertMatchesSpec } from '../../../helpers/spec-schemas.js';
import { bodies, enc, startReadTestServer, type Json, type ReadTestServer, type TestUser } from './helpers.js';

// /state, /state/{type}/{key}, /members, /joined_members, /joined_rooms, history visibility and departed users.

describe('room state and member reads', () => {
  let s: ReadTestServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let roomId: string;

  before(async () => {
    s = await startReadTestServer();
    alice = await s.user('alice');
    bob = await s.user('bob');
    carol = await s.user('carol');
    roomId = await s.createRoom(alice, { preset: 'public_chat', name: 'First name', topic: 'Topic' });
    await s.ok(bob, 'POST', `/v3/rooms/${enc(roomId)}/join`, {});
    await s.ok(alice, 'POST', `/v3/rooms/${enc(roomId)}/invite`, { user_id: carol.userId });
    await s.ok(alice, 'PUT', `/v3/rooms/${enc(roomId)}/state/m.room.name/`, { name: 'Second name' });
  });
  after(() => s.close());

  const room = (suffix: string) => `/v3/rooms/${enc(roomId)}${suffix}`;

  test('/state lists current state; a state event carries prev_content of the one it replaced', async () => {
    const res = await s.call(alice, 'GET', room('/state'));
    assert.equal(res.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/rooms/{roomId}/state', 200, res.body);
    const state = res.body as unknown as Json[];
    const name = state.find((e) => e.type === 'm.room.name');
    assert.deepEqual(name?.content, { name: 'Second name' });
    const unsigned = name?.unsigned as Json;
    assert.deepEqual(unsigned.prev_content, { name: 'First name' });
    assert.equal(unsigned.prev_sender, alice.userId);
    assert.equal(typeof unsigned.replaces_state, 'string');
  });

  test('/state/{type}/{key}: content by default, the event with format=event, 404 when absent', async () => {
    const content = await s.call(alice, 'GET', room('/state/m.room.name/'));
    assert.equal(content.status, 200);
    assert.deepEqual(content.body, { name: 'Second name' });
    assert.deepEqual(await s.ok(alice, 'GET', room('/state/m.room.topic')), { topic: 'Topic' });
    const member = await s.ok(alice, 'GET', room(`/state/m.room.member/${enc(bob.userId)}`));
    assert.equal(member.membership, 'join');
    const full = await s.ok(alice, 'GET', room('/state/m.room.name/?format=event'));
    assert.equal(full.type, 'm.room.name');
    assert.equal(full.state_key, '');
    assert.equal(full.room_id, roomId);
    const missing = await s.call(alice, 'GET', room('/state/m.room.avatar/'));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errcode, 'M_NOT_FOUND');
  });

  test('/members with membership filters, and /joined_members', async () => {
    const all = await s.call(alice, 'GET', room('/members'));
    assert.equal(all.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/rooms/{roomId}/members', 200, all.body);
    const who = (body: Json) => (body.chunk as Json[]).map((e) => `${e.state_key as string}=${(e.content as Json).membership as string}`).sort();
    assert.deepEqual(who(all.body), [`${alice.userId}=join`, `${bob.userId}=join`, `${carol.userId}=invite`].sort());
    assert.deepEqual(who(await s.ok(alice, 'GET', room('/members?membership=invite'))), [`${carol.userId}=invite`]);
    assert.deepEqual(who(await s.ok(alice, 'GET', room('/members?not_membership=join'))), [`${carol.userId}=invite`]);
    assert.equal((await s.call(alice, 'GET', room('/members?membership=bogus'))).status, 400);

    const joined = await s.call(alice, 'GET', room('/joined_members'));
    assert.equal(joined.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/rooms/{roomId}/joined_members', 200, joined.body);
    assert.deepEqual(Object.keys(joined.body.joined as Json).sort(), [alice.userId, bob.userId].sort());
    // An invited user is not a member yet.
    assert.equal((await s.call(carol, 'GET', room('/joined_members'))).status, 403);
  });

  test('/members?at= gives the member list as of a token', async () => {
    const early = await s.ok(alice, 'GET', room('/messages?dir=f&limit=2'));
    const at = early.end as string;
    const res = await s.ok(alice, 'GET', room(`/members?at=${enc(at)}`));
    assert.deepEqual((res.chunk as Json[]).map((e) => e.state_key), [alice.userId]);
  });

  test('/joined_rooms lists the rooms a user has joined', async () => {
    const res = await s.call(bob, 'GET', '/v3/joined_rooms');
    assert.equal(res.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/joined_rooms', 200, res.body);
    assert.deepEqual(res.body.joined_rooms, [roomId]);
    assert.deepEqual((await s.ok(carol, 'GET', '/v3/joined_rooms')).joined_rooms, []);
  });

  test('a user who left reads up to their leave and no further', async () => {
    const dave = await s.user('dave');
    const r = await s.createRoom(alice, { preset: 'public_chat' });
    await s.ok(dave, 'POST', `/v3/rooms/${enc(r)}/join`, {});
    await s.send(alice, r, 'while dave was here');
    await s.ok(dave, 'POST', `/v3/rooms/${enc(r)}/leave`, {});
    await s.send(alice, r, 'after dave left');
    await s.ok(alice, 'PUT', `/v3/rooms/${enc(r)}/state/m.room.topic/`, { topic: 'changed later' });

    const msgs = await s.ok(dave, 'GET', `/v3/rooms/${enc(r)}/messages?dir=b&limit=50`);
    assert.deepEqual(bodies(msgs.chunk), ['while dave was here']);
    const state = (await s.ok(dave, 'GET', `/v3/rooms/${enc(r)}/state`)) as unknown as Json[];
    assert.equal(state.find((e) => e.type === 'm.room.topic'), undefined);
    assert.equal(state.find((e) => e.type === 'm.room.member' && e.state_key === dave.userId)?.content && 'leave',
      ((state.find((e) => e.type === 'm.room.member' && e.state_key === dave.userId)?.content as Json).membership));
    assert.equal((await s.call(dave, 'GET', `/v3/rooms/${enc(r)}/state/m.room.topic/`)).status, 404);
  });

  test('history visibility "joined": a newcomer sees nothing from before they joined', async () => {
    const erin = await s.user('erin');
    const r = await s.createRoom(alice, { preset: 'public_chat' });
    await s.ok(alice, 'PUT', `/v3/rooms/${enc(r)}/state/m.room.history_visibility/`, { history_visibility: 'joined' });
    await s.send(alice, r, 'before erin');
    await s.ok(erin, 'POST', `/v3/rooms/${enc(r)}/join`, {});
    await s.send(alice, r, 'after erin');
    const msgs = await s.ok(erin, 'GET', `/v3/rooms/${enc(r)}/messages?dir=b&limit=50`);
    assert.deepEqual(bodies(msgs.chunk), ['after erin']);
    const types = (msgs.chunk as Json[]).map((e) => e.type);
    assert.ok(types.includes('m.room.member'), 'their own join is visible');
    // Events from before visibility became "joined" were shared history, so they stay visible.
    assert.ok(types.includes('m.room.create'));
    // With the default "shared" visibility a newcomer sees earlier history.
    const r2 = await s.createRoom(alice, { preset: 'public_chat' });
    await s.send(alice, r2, 'shared before');
    await s.ok(erin, 'POST', `/v3/rooms/${enc(r2)}/join`, {});
    assert.deepEqual(bodies((await s.ok(erin, 'GET', `/v3/rooms/${enc(r2)}/messages?dir=b`)).chunk), ['shared before']);
  });

  test('world_readable rooms can be read by non-members; others cannot', async () => {
    const frank = await s.user('frank');
    const r = await s.createRoom(alice, { preset: 'private_chat' });
    await s.send(alice, r, 'secret');
    assert.equal((await s.call(frank, 'GET', `/v3/rooms/${enc(r)}/state`)).status, 403);
    assert.equal((await s.call(frank, 'GET', `/v3/rooms/${enc(r)}/members`)).status, 403);
    await s.ok(alice, 'PUT', `/v3/rooms/${enc(r)}/state/m.room.history_visibility/`, { history_visibility: 'world_readable' });
    await s.send(alice, r, 'public now');
    const msgs = await s.ok(frank, 'GET', `/v3/rooms/${enc(r)}/messages?dir=b`);
    assert.deepEqual(bodies(msgs.chunk), ['public now']);
    assert.equal((await s.call(frank, 'GET', `/v3/rooms/${enc(r)}/state/m.room.history_visibility/`)).status, 200);
    assert.equal((await s.call(frank, 'GET', `/v3/rooms/${enc(r)}/joined_members`)).status, 403);
  });

  test('a redacted event is served redacted with redacted_because', async () => {
    const r = await s.createRoom(alice, { preset: 'private_chat' });
    const id = await s.send(alice, r, 'oops');
    await s.ok(alice, 'PUT', `/v3/rooms/${enc(r)}/redact/${enc(id)}/red1`, { reason: 'typo' });
    const ev = await s.ok(alice, 'GET', `/v3/rooms/${enc(r)}/event/${enc(id)}`);
    assert.deepEqual(ev.content, {});
    const because = (ev.unsigned as Json).redacted_because as Json;
    assert.equal(because.type, 'm.room.redaction');
    assert.equal((because.content as Json).reason, 'typo');
  });
});
