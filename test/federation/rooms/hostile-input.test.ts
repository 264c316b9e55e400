import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encodeBase64, parseSigningKeyFile, signBytes } from '../../../src/crypto/index.js';
import { requestSigningBytes } from '../../../src/federation/outbound/index.js';
import { hashAndSignEvent, roomVersion } from '../../../src/protocol/index.js';
import { eventIdOf } from '../../../src/federation/rooms/check-pdu.js';
import { startTestServer } from '../../helpers/server.js';
import { TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';
import { buildPdu, fedRequest, roomHeads, sendTransaction, type RoomView } from './forge.js';

// Fuzz-style hostile input on the federation API: hs2 (a member server) sends hs1 many malformed PDUs and
// transactions. Each bad PDU gets its own error (or, when it has no id to answer for, is dropped), none is
// stored, a good PDU in the same transaction still goes through, bad transactions are refused whole with the
// spec's error, and afterwards both rooms on hs1 keep working in both directions.

type Mutator = [name: string, mutate: (ev: Record<string, unknown>) => void];

const BIG = 'x'.repeat(70_000);
const fakeIds = (n: number) => Array.from({ length: n }, (_, i) => `$fake${i}abcdefghijklmnopqrstuvwxyz0123456789ABCDEF`);

// Each breaks one rule of the event format, the room version or the limits. The event is re-signed after the
// mutation where that is possible, so the format checks themselves (not only the signature) are exercised.
// (Floats in a PDU have their own test below: the transaction is authenticated, only that PDU is refused.)
const MUTATORS: Mutator[] = [
  ['no type', (e) => delete e.type],
  ['type is a number', (e) => (e.type = 5)],
  ['no sender', (e) => delete e.sender],
  ['sender is not a user id', (e) => (e.sender = 'bob')],
  ['no content', (e) => delete e.content],
  ['content is an array', (e) => (e.content = [])],
  ['no depth', (e) => delete e.depth],
  ['depth is a string', (e) => (e.depth = '7')],
  ['depth is negative', (e) => (e.depth = -1)],
  ['no prev_events', (e) => delete e.prev_events],
  ['prev_events is a string', (e) => (e.prev_events = '$x')],
  ['prev_events empty', (e) => (e.prev_events = [])],
  ['auth_events empty', (e) => (e.auth_events = [])],
  ['prev_events of numbers', (e) => (e.prev_events = [1, 2])],
  ['21 prev_events', (e) => (e.prev_events = fakeIds(21))],
  ['11 auth_events', (e) => (e.auth_events = fakeIds(11))],
  ['no auth_events', (e) => delete e.auth_events],
  ['auth_events naming unknown events', (e) => (e.auth_events = fakeIds(2))],
  ['no origin_server_ts', (e) => delete e.origin_server_ts],
  ['origin_server_ts is a string', (e) => (e.origin_server_ts = 'now')],
  ['over 64 KiB', (e) => (e.content = { msgtype: 'm.text', body: BIG })],
  ['state_key is a number', (e) => (e.state_key = 1)],
  ['type over 255 bytes', (e) => (e.type = 't'.repeat(300))],
  ['sender of another server', (e) => (e.sender = '@alice:hs1.test')],
];

describe('federation: hostile and malformed input', () => {
  let hs1: FedServer;
  let hs2: FedServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  let otherRoom: string;
  let view: RoomView;

  before(async () => {
    [hs1, hs2] = (await startFederation(['hs1.test', 'hs2.test'])) as [FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    for (const which of ['main', 'other']) {
      const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', name: which });
      const id = created.body.room_id as string;
      const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(id)}?server_name=hs1.test`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      await until('hs1 sees bob', async () => (await membership(hs1, alice, id, bob.userId)) === 'join');
      if (which === 'main') roomId = id;
      else otherRoom = id;
    }
    const room = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.create/`);
    view = { resident: hs1, viewer: alice, roomId, version: (room.body.room_version as string | undefined) ?? '1' };
  });
  after(async () => {
    await hs2?.server.close();
    await hs1?.server.close();
  });

  const stored = async (eventId: string) => (await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`)).status === 200;

  async function mutated(mutate: (e: Record<string, unknown>) => void, resign = true): Promise<Record<string, unknown>> {
    const { pdu } = await buildPdu(view, hs2, bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'fuzz' });
    const ev = structuredClone(pdu) as Record<string, unknown>;
    delete ev.signatures;
    delete ev.hashes;
    mutate(ev);
    if (!resign) return { ...structuredClone(pdu), ...ev };
    try {
      return hashAndSignEvent(roomVersion(view.version), ev, 'hs2.test', hs2.key).pdu as Record<string, unknown>;
    } catch {
      // Not even signable (e.g. not canonical JSON): sent as it is, with the original signature.
      return { ...ev, hashes: pdu.hashes, signatures: pdu.signatures };
    }
  }

  test('each malformed PDU gets its own error and is not stored; a good PDU in the same transaction is accepted', async () => {
    const good = await buildPdu(view, hs2, bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'good among bad' });
    const bad: Array<{ name: string; pdu: Record<string, unknown> }> = [];
    for (const [name, mutate] of MUTATORS) bad.push({ name, pdu: await mutated(mutate) });
    // Signature damage: a signature that does not verify, and none at all.
    const sigless = await mutated(() => {}, false);
    bad.push({ name: 'no signatures', pdu: { ...sigless, signatures: {} } });
    // (Changed content alone would not do: the event would be kept redacted, as the spec says.)
    const wrongSig = await mutated((e) => (e.origin_server_ts = 1), false);
    bad.push({ name: 'signature over another timestamp', pdu: wrongSig });

    // At most 50 PDUs per transaction: send them in chunks, the good one in the first.
    const all = [good.pdu as Record<string, unknown>, ...bad.map((b) => b.pdu)];
    const results: Record<string, { error?: string }> = {};
    for (let i = 0; i < all.length; i += 40) {
      const res = await sendTransaction(hs2, hs1, all.slice(i, i + 40));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      Object.assign(results, res.body.pdus as Record<string, { error?: string }>);
    }
    assert.deepEqual(results[good.eventId], {});
    assert.ok(await stored(good.eventId));
    const errors = Object.entries(results).filter(([id]) => id !== good.eventId);
    const nameOf = (id: string) => bad.find((b) => eventIdOf(roomVersion(view.version), b.pdu) === id)?.name ?? id;
    for (const [id, r] of errors) {
      assert.equal(typeof r.error, 'string', `${nameOf(id)}: ${JSON.stringify(r)}`);
      assert.ok(!(await stored(id)), `${id} must not be stored`);
    }
    // Every bad PDU whose event id can be computed is answered for (none silently accepted or dropped).
    const answerable = bad.filter((b) => eventIdOf(roomVersion(view.version), b.pdu) !== undefined);
    for (const b of answerable) {
      const id = eventIdOf(roomVersion(view.version), b.pdu) as string;
      assert.equal(typeof results[id]?.error, 'string', `${b.name} is answered with an error`);
    }
    assert.ok(answerable.length >= bad.length - 2, `${answerable.length} of ${bad.length} have an event id`);
  });

  test('randomly generated malformed PDUs (seeded) each get an error and none is stored', async () => {
    // Per key, values that are never valid there; a generated PDU breaks one to three keys at random.
    const WRONG: Record<string, unknown[]> = {
      type: [null, 0, true, [], {}],
      sender: [null, 0, 'nobody', '@x', [], {}],
      content: [null, 0, 'c', [], true],
      depth: [null, 'd', -1, true, [], {}],
      prev_events: [null, 'p', 0, {}, [0], [null], [{}], []],
      auth_events: [null, 'a', 0, {}, [0], [null]],
      origin_server_ts: [null, 'ts', true, [], {}],
      state_key: [0, true, [], {}],
    };
    const AFTER_SIGNING: Record<string, unknown[]> = { hashes: [null, 'h', 0, [], {}], signatures: [null, 's', 0, [], {}] };
    let seed = 0x5eed;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)] as T;
    const generated: Array<{ what: string; pdu: Record<string, unknown> }> = [];
    for (let i = 0; i < 80; i++) {
      const keys = Object.keys(rand(5) === 0 ? AFTER_SIGNING : WRONG);
      const table = keys.includes('hashes') ? AFTER_SIGNING : WRONG;
      const changes = Array.from({ length: 1 + rand(3) }, () => pick(keys)).map((k) => [k, pick(table[k] as unknown[])] as const);
      const what = changes.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
      if (table === WRONG) {
        generated.push({ what, pdu: await mutated((e) => { for (const [k, v] of changes) e[k] = v; }) });
      } else {
        const base = await mutated(() => {});
        for (const [k, v] of changes) base[k] = v;
        generated.push({ what, pdu: base });
      }
    }
    const results: Record<string, { error?: string }> = {};
    for (let i = 0; i < generated.length; i += 40) {
      const res = await sendTransaction(hs2, hs1, generated.slice(i, i + 40).map((g) => g.pdu));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      Object.assign(results, res.body.pdus as Record<string, { error?: string }>);
    }
    let answered = 0;
    for (const g of generated) {
      const id = eventIdOf(roomVersion(view.version), g.pdu);
      if (id === undefined) continue;
      answered++;
      assert.equal(typeof results[id]?.error, 'string', `${g.what}: ${JSON.stringify(results[id])}`);
      assert.ok(!(await stored(id)), `${g.what} must not be stored`);
    }
    assert.ok(answered > generated.length / 2, `${answered} of ${generated.length} had an event id`);
  });

  test('a float in one PDU: the transaction is still authenticated; that PDU gets its error, the others go through', async () => {
    const good = await buildPdu(view, hs2, bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'good next to a float' });
    // Canonical JSON has no floats, so the event cannot be hashed or signed by the rules: it goes out with the
    // signature of its float-less original, as a peer that mishandles numbers might send it.
    const floaty = await mutated((e) => (e.content = { msgtype: 'm.text', body: 'float', amount: 1.5 }));
    const floatId = eventIdOf(roomVersion(view.version), floaty) as string;
    assert.equal(typeof floatId, 'string');
    const uri = `/_matrix/federation/v1/send/float-${Date.now()}`;
    const body = { origin: hs2.name, origin_server_ts: Date.now(), pdus: [good.pdu, floaty] };
    // Signed the way Synapse does it (its canonical JSON writes floats as JSON numbers); ours refuses floats.
    const sig = encodeBase64(signBytes(hs2.key, requestSigningBytes({ method: 'PUT', uri, origin: hs2.name, destination: hs1.name, content: body }, { strict: false })));
    const res = await fetch(`${hs1.server.baseUrl}${uri}`, {
      method: 'PUT',
      headers: { Authorization: `X-Matrix origin="${hs2.name}",destination="${hs1.name}",key="${hs2.key.keyId}",sig="${sig}"`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { pdus?: Record<string, { error?: string }> };
    assert.equal(res.status, 200, JSON.stringify(answer));
    assert.deepEqual(answer.pdus?.[good.eventId], {});
    assert.equal(typeof answer.pdus?.[floatId]?.error, 'string', JSON.stringify(answer));
    assert.ok(await stored(good.eventId));
    assert.ok(!(await stored(floatId)));
    // A signature that does not match the body is still refused whole.
    const forged = await fetch(`${hs1.server.baseUrl}${uri}x`, {
      method: 'PUT',
      headers: { Authorization: `X-Matrix origin="${hs2.name}",destination="${hs1.name}",key="${hs2.key.keyId}",sig="${sig}"`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(forged.status, 401);
  });

  test('PDUs that are not objects, or name a room we do not know, are dropped without harm', async () => {
    const unknownRoom = await mutated((e) => (e.room_id = '!nowhere:hs9.test'));
    const res = await sendTransaction(hs2, hs1, [42, 'pdu', null, [], {}, { room_id: 5 }, unknownRoom]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.pdus, {});
  });

  test('an event of one room citing auth events of another room is rejected', async () => {
    const heads = await roomHeads(view);
    const otherView = { ...view, roomId: otherRoom };
    const { pdu, eventId } = await buildPdu(otherView, hs2, bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'cross-room' }, {
      authEvents: [heads.stateId('m.room.power_levels') as string, heads.stateId('m.room.member', bob.userId) as string],
    });
    const res = await sendTransaction(hs2, hs1, [pdu]);
    assert.match((res.body.pdus as Record<string, { error?: string }>)[eventId]?.error ?? '', /.+/);
  });

  test('malformed transactions are refused whole with the spec\'s errors', async () => {
    const { pdu } = await buildPdu(view, hs2, bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'x' });
    const uri = (n: string) => `/_matrix/federation/v1/send/bad-${n}-${Date.now()}`;
    const base = { origin: 'hs2.test', origin_server_ts: Date.now() };
    const cases: Array<[string, unknown, number, string]> = [
      ['51 PDUs', { ...base, pdus: Array.from({ length: 51 }, () => pdu) }, 400, 'M_INVALID_PARAM'],
      ['101 EDUs', { ...base, pdus: [], edus: Array.from({ length: 101 }, () => ({ edu_type: 'm.typing', content: {} })) }, 400, 'M_INVALID_PARAM'],
      ['pdus not an array', { ...base, pdus: 'none' }, 400, 'M_BAD_JSON'],
      ['no pdus', { ...base }, 400, 'M_MISSING_PARAM'],
      ['origin of another server', { ...base, origin: 'hs1.test', pdus: [] }, 403, 'M_FORBIDDEN'],
    ];
    for (const [name, body, status, errcode] of cases) {
      const res = await fedRequest(hs2, hs1, 'PUT', uri(name.replace(/\W/g, '')), body);
      assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.errcode, errcode, name);
    }
    // A body past max_request_body_size is refused before it is read.
    const huge = { ...base, pdus: [], padding: 'p'.repeat(hs1.server.config.maxRequestBodySize + 10) };
    const res = await fedRequest(hs2, hs1, 'PUT', uri('huge'), huge);
    assert.equal(res.status, 413);
    assert.equal(res.body.errcode, 'M_TOO_LARGE');
  });

  test('an invite for an unknown room version is refused with M_INCOMPATIBLE_ROOM_VERSION', async () => {
    const res = await fedRequest(hs2, hs1, 'PUT', `/_matrix/federation/v2/invite/${enc('!r:hs2.test')}/${enc('$e')}`, {
      room_version: '99',
      event: {},
      invite_room_state: [],
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.errcode, 'M_INCOMPATIBLE_ROOM_VERSION');
  });

  test('an accepted event with the largest depth does not break our next events', async () => {
    const deep = await buildPdu(view, hs2, bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'very deep' }, { depth: Number.MAX_SAFE_INTEGER });
    const res = await sendTransaction(hs2, hs1, [deep.pdu]);
    assert.deepEqual((res.body.pdus as Record<string, unknown>)[deep.eventId], {});
    await send(hs1, alice, roomId, 'after the deep event');
    await until('bob sees alice\'s message after the deep event', async () => (await bodies(hs2, bob, roomId)).includes('after the deep event'));
  });

  test('after all that, both rooms still work in both directions', async () => {
    for (const id of [roomId, otherRoom]) {
      await send(hs2, bob, id, `bob still here in ${id}`);
      await send(hs1, alice, id, `alice still here in ${id}`);
      await until('alice sees bob', async () => (await bodies(hs1, alice, id)).includes(`bob still here in ${id}`));
      await until('bob sees alice', async () => (await bodies(hs2, bob, id)).includes(`alice still here in ${id}`));
    }
  });
});

describe('federation: per-origin request limits (rc_federation)', () => {
  let hs2: FedServer;
  let limited: FedServer;

  before(async () => {
    const overrides: Record<string, string> = {};
    [hs2] = (await startFederation(['hs2.test'], overrides)) as [FedServer];
    const server = await startTestServer({
      ...TEST_USER_CONFIG,
      serverName: 'hs1.test',
      federationTestOverrides: overrides,
      federationRateLimit: { windowSizeMs: 60_000, sleepLimit: 100, sleepDelayMs: 0, rejectLimit: 3, concurrent: 1 },
    });
    overrides['hs1.test'] = server.baseUrl.replace(/^http:\/\//, '');
    const key = parseSigningKeyFile(readFileSync(server.config.signingKeyPath, 'utf8'))[0];
    if (!key) throw new Error('no signing key');
    limited = { name: 'hs1.test', server, key };
  });
  after(async () => {
    await limited?.server.close();
    await hs2?.server.close();
  });

  test('requests past reject_limit in the window get 429 M_LIMIT_EXCEEDED with retry_after_ms; retries of one transaction run once', async () => {
    const uri = `/_matrix/federation/v1/send/same-${Date.now()}`;
    const body = { origin: 'hs2.test', origin_server_ts: Date.now(), pdus: [] };
    // The same transaction twice at once: both answered the same, however they interleave.
    const [a, b] = await Promise.all([fedRequest(hs2, limited, 'PUT', uri, body), fedRequest(hs2, limited, 'PUT', uri, body)]);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(b.status, 200, JSON.stringify(b.body));
    assert.deepEqual(a.body, b.body);
    const third = await fedRequest(hs2, limited, 'GET', '/_matrix/federation/v1/query/profile?user_id=%40nobody%3Ahs1.test');
    assert.notEqual(third.status, 429);
    const fourth = await fedRequest(hs2, limited, 'GET', '/_matrix/federation/v1/query/profile?user_id=%40nobody%3Ahs1.test');
    assert.equal(fourth.status, 429, JSON.stringify(fourth.body));
    assert.equal(fourth.body.errcode, 'M_LIMIT_EXCEEDED');
    assert.ok(typeof fourth.body.retry_after_ms === 'number' && fourth.body.retry_after_ms > 0);
    // Unauthenticated requests are refused before any allowance is spent, and the version endpoint is open.
    assert.equal((await fetch(`${limited.server.baseUrl}/_matrix/federation/v1/version`)).status, 200);
  });
});
