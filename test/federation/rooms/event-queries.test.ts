import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { xMatrixAuthorization } from '../../../src/federation/outbound/index.js';
import { hashAndSignEvent, roomVersion } from '../../../src/protocol/index.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';

// Retrieving events over federation from hs1, signed as hs2 (a member server) or hs3 (a stranger):
// /event, /state, /state_ids, /event_auth and make_join, with bodies checked against the spec.

describe('federation: event and state queries', () => {
  let hs1: FedServer;
  let hs2: FedServer;
  let hs3: FedServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  let messageId: string;

  before(async () => {
    [hs1, hs2, hs3] = (await startFederation(['hs1.test', 'hs2.test', 'hs3.test'])) as [FedServer, FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat', room_version: '12', invite: [] });
    roomId = created.body.room_id as string;
    await api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId });
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await until('hs1 sees bob', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
    messageId = await send(hs1, alice, roomId, 'queried');
  });
  after(async () => {
    for (const s of [hs3, hs2, hs1]) await s?.server.close();
  });

  async function get(as: FedServer, uri: string) {
    const header = xMatrixAuthorization({ method: 'GET', uri, origin: as.name, destination: 'hs1.test' }, as.key);
    const res = await fetch(`${hs1.server.baseUrl}${uri}`, { headers: { Authorization: header } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  test('GET /event returns the PDU to a server in the room', async () => {
    const res = await get(hs2, `/_matrix/federation/v1/event/${enc(messageId)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/event/{eventId}', 200, res.body);
    const [pdu] = res.body.pdus as Array<Record<string, unknown>>;
    assert.equal((pdu?.content as { body?: string }).body, 'queried');
  });

  test('a server with no member in a private room may not read it (403)', async () => {
    const res = await get(hs3, `/_matrix/federation/v1/event/${enc(messageId)}`);
    assert.equal(res.status, 403);
    assert.equal(res.body.errcode, 'M_FORBIDDEN');
    const state = await get(hs3, `/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(messageId)}`);
    assert.equal(state.status, 403);
  });

  test('/state_ids and /state give the state before the event and its auth chain', async () => {
    const ids = await get(hs2, `/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(messageId)}`);
    assert.equal(ids.status, 200, JSON.stringify(ids.body));
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/state_ids/{roomId}', 200, ids.body);
    const full = await get(hs2, `/_matrix/federation/v1/state/${enc(roomId)}?event_id=${enc(messageId)}`);
    assert.equal(full.status, 200, JSON.stringify(full.body));
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/state/{roomId}', 200, full.body);
    const pdus = full.body.pdus as Array<{ type: string; state_key: string }>;
    assert.equal(pdus.length, (ids.body.pdu_ids as string[]).length);
    assert.ok(pdus.some((p) => p.type === 'm.room.member' && p.state_key === bob.userId));
    assert.ok(pdus.some((p) => p.type === 'm.room.create'));
  });

  test('/event_auth gives the auth chain of an event', async () => {
    const res = await get(hs2, `/_matrix/federation/v1/event_auth/${enc(roomId)}/${enc(messageId)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/event_auth/{roomId}/{eventId}', 200, res.body);
    const types = (res.body.auth_chain as Array<{ type: string }>).map((e) => e.type);
    assert.ok(types.includes('m.room.create') && types.includes('m.room.power_levels'), JSON.stringify(types));
  });

  test('make_join: a template for a public room, 403 for an invite-only room, M_INCOMPATIBLE_ROOM_VERSION for old servers', async () => {
    const pub = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: '12' });
    const pubId = pub.body.room_id as string;
    const ok = await get(hs3, `/_matrix/federation/v1/make_join/${enc(pubId)}/${enc('@carol:hs3.test')}?ver=11&ver=12`);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/make_join/{roomId}/{userId}', 200, ok.body);
    assert.equal(ok.body.room_version, '12');
    const denied = await get(hs3, `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc('@carol:hs3.test')}?ver=12`);
    assert.equal(denied.status, 403);
    const old = await get(hs3, `/_matrix/federation/v1/make_join/${enc(pubId)}/${enc('@carol:hs3.test')}?ver=10`);
    assert.equal(old.status, 400);
    assert.equal(old.body.errcode, 'M_INCOMPATIBLE_ROOM_VERSION');
    const other = await get(hs3, `/_matrix/federation/v1/make_join/${enc(pubId)}/${enc('@carol:hs2.test')}?ver=12`);
    assert.equal(other.status, 403);
  });

  test('make_knock / send_knock: a remote user knocks and gets the room\'s stripped state', async () => {
    const room = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', {
      room_version: '12',
      name: 'knock here',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    const knockRoom = room.body.room_id as string;
    const carol = '@carol:hs3.test';
    const made = await get(hs3, `/_matrix/federation/v1/make_knock/${enc(knockRoom)}/${enc(carol)}?ver=12`);
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/make_knock/{roomId}/{userId}', 200, made.body);
    const { signatures: _s, ...template } = made.body.event as Record<string, unknown>;
    const { pdu, eventId } = hashAndSignEvent(roomVersion('12'), { ...template, origin_server_ts: Date.now() }, 'hs3.test', hs3.key);
    const uri = `/_matrix/federation/v1/send_knock/${enc(knockRoom)}/${enc(eventId)}`;
    const header = xMatrixAuthorization({ method: 'PUT', uri, origin: 'hs3.test', destination: 'hs1.test', content: pdu }, hs3.key);
    const res = await fetch(`${hs1.server.baseUrl}${uri}`, { method: 'PUT', headers: { Authorization: header, 'Content-Type': 'application/json' }, body: JSON.stringify(pdu) });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    assertMatchesSpec('server-server', 'PUT', '/_matrix/federation/v1/send_knock/{roomId}/{eventId}', 200, body);
    const state = body.knock_room_state as Array<{ type: string; content: Record<string, unknown> }>;
    assert.ok(state.some((e) => e.type === 'm.room.create'));
    assert.ok(state.some((e) => e.type === 'm.room.name' && e.content.name === 'knock here'));
    assert.equal(await membership(hs1, alice, knockRoom, carol), 'knock');
  });
});
