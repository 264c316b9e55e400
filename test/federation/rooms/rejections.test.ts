import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { xMatrixAuthorization } from '../../../src/federation/outbound/index.js';
import { hashAndSignEvent, roomVersion } from '../../../src/protocol/index.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, enc, membership, startFederation, until, user, type FedServer } from './harness.js';

// Checks on receipt, end to end: hs2 (a member server) sends hs1 PDUs that must fail. A forged sender, a
// broken request signature and an auth-rule violation are refused and change nothing; an event whose
// content does not match its hash is kept only redacted.

describe('federation: events that fail the checks on receipt', () => {
  let hs1: FedServer;
  let hs2: FedServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  const version = roomVersion('11');
  let txn = 0;

  before(async () => {
    [hs1, hs2] = (await startFederation(['hs1.test', 'hs2.test'])) as [FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: '11' });
    roomId = created.body.room_id as string;
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?server_name=hs1.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await until('hs1 sees bob', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
  });
  after(async () => {
    await hs2?.server.close();
    await hs1?.server.close();
  });

  /** An event on top of hs1's current room, signed by hs2 (the caller may break it afterwards). */
  async function build(sender: string, type: string, content: Record<string, unknown>, stateKey?: string) {
    const state = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`);
    const events = state.body as unknown as Array<{ type: string; state_key: string; event_id: string }>;
    const id = (t: string, k = '') => events.find((e) => e.type === t && e.state_key === k)?.event_id;
    const last = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1`);
    const prev = (last.body.chunk as Array<{ event_id: string }>)[0]?.event_id as string;
    const authEvents = [id('m.room.create'), id('m.room.power_levels'), id('m.room.member', sender)].filter((x): x is string => x !== undefined);
    const unsigned = {
      room_id: roomId,
      sender,
      type,
      ...(stateKey !== undefined ? { state_key: stateKey } : {}),
      content,
      origin_server_ts: Date.now(),
      depth: 100,
      prev_events: [prev],
      auth_events: authEvents,
    };
    return hashAndSignEvent(version, unsigned, 'hs2.test', hs2.key);
  }

  async function sendTxn(pdus: unknown[], opts: { corruptSignature?: boolean } = {}) {
    const uri = `/_matrix/federation/v1/send/rej-${Date.now()}-${txn++}`;
    const body = { origin: 'hs2.test', origin_server_ts: Date.now(), pdus };
    let header = xMatrixAuthorization({ method: 'PUT', uri, origin: 'hs2.test', destination: 'hs1.test', content: body }, hs2.key);
    if (opts.corruptSignature) header = header.replace(/sig="[^"]{4}/, 'sig="AAAA');
    const res = await fetch(`${hs1.server.baseUrl}${uri}`, { method: 'PUT', headers: { Authorization: header, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const clientEvent = (eventId: string) => api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`);

  test('a transaction with a bad request signature is refused with 401 and its events are not stored', async () => {
    const { pdu, eventId } = await build(bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'unsigned' });
    const res = await sendTxn([pdu], { corruptSignature: true });
    assert.equal(res.status, 401);
    assert.equal(res.body.errcode, 'M_UNAUTHORIZED');
    assert.equal((await clientEvent(eventId)).status, 404);
  });

  test('an event with a forged sender (not signed by its server) is rejected and not stored', async () => {
    const { pdu, eventId } = await build(alice.userId, 'm.room.message', { msgtype: 'm.text', body: 'forged' });
    const res = await sendTxn([pdu]);
    assert.equal(res.status, 200);
    const results = res.body.pdus as Record<string, { error?: string }>;
    assert.match(results[eventId]?.error ?? '', /signature/);
    assert.equal((await clientEvent(eventId)).status, 404);
  });

  test('an auth-rule violation (power levels without power) is rejected and the state is unchanged', async () => {
    const before = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`);
    const content = { ...(before.body as Record<string, unknown>), users: { [bob.userId]: 100 } };
    const { pdu, eventId } = await build(bob.userId, 'm.room.power_levels', content, '');
    const res = await sendTxn([pdu]);
    const results = res.body.pdus as Record<string, { error?: string }>;
    assert.ok(results[eventId]?.error, JSON.stringify(res.body));
    const after = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`);
    assert.deepEqual(after.body, before.body);
    assert.equal((await clientEvent(eventId)).status, 404);
  });

  test('an event whose content does not match its hash is kept only in redacted form', async () => {
    const { pdu, eventId } = await build(bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'original' });
    const tampered = { ...pdu, content: { msgtype: 'm.text', body: 'tampered' } };
    const res = await sendTxn([tampered]);
    assert.deepEqual((res.body.pdus as Record<string, unknown>)[eventId], {});
    const seen = await clientEvent(eventId);
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.body.content, {});
  });

  test('a retried transaction id is answered again without reprocessing', async () => {
    const { pdu, eventId } = await build(bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'once' });
    const uri = `/_matrix/federation/v1/send/retry-${Date.now()}`;
    const body = { origin: 'hs2.test', origin_server_ts: Date.now(), pdus: [pdu] };
    const put = async () => {
      const header = xMatrixAuthorization({ method: 'PUT', uri, origin: 'hs2.test', destination: 'hs1.test', content: body }, hs2.key);
      const res = await fetch(`${hs1.server.baseUrl}${uri}`, { method: 'PUT', headers: { Authorization: header, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return (await res.json()) as Record<string, unknown>;
    };
    const first = await put();
    const second = await put();
    assert.deepEqual(first, { pdus: { [eventId]: {} } });
    assert.deepEqual(second, first);
  });
});
