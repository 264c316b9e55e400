import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64 } from '../../src/crypto/base64.js';
import { signingKeyFromSeed, type SigningKey } from '../../src/crypto/ed25519.js';
import {
  addEventSignature,
  checkContentHash,
  checkEventSignatures,
  computeContentHash,
  hashAndSignEvent,
  keysToFetch,
  signatureRequirements,
  verifyEventSignatures,
  type KeyLookup,
  type VerifyKey,
} from '../../src/protocol/event-signing.js';
import { computeEventId } from '../../src/protocol/event-id.js';
import { redactEvent } from '../../src/protocol/redaction.js';
import { roomVersion } from '../../src/protocol/room-versions.js';

// Appendix "Cryptographic Test Vectors".
const VECTOR_KEY = signingKeyFromSeed('ed25519:1', decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1'));

const MINIMAL_EVENT = {
  room_id: '!x:domain',
  sender: '@a:domain',
  origin: 'domain',
  origin_server_ts: 1000000,
  signatures: {},
  hashes: {},
  type: 'X',
  content: {},
  prev_events: [],
  auth_events: [],
  depth: 3,
  unsigned: { age_ts: 1000000 },
};

const REDACTABLE_EVENT = {
  content: { body: 'Here is the message content' },
  event_id: '$0:domain',
  origin: 'domain',
  origin_server_ts: 1000000,
  type: 'm.room.message',
  room_id: '!r:domain',
  sender: '@u:domain',
  signatures: {},
  unsigned: { age_ts: 1000000 },
};

describe('event signing test vectors', () => {
  // The vectors predate room versions; any version whose redaction keeps `origin` (1-10) reproduces them.
  // The minimal event carries no event_id, which v1/v2 would need for the id, so it is signed as v4.
  test('hashes and signs the minimal event', () => {
    const { pdu } = hashAndSignEvent(roomVersion('4'), MINIMAL_EVENT, 'domain', VECTOR_KEY);
    assert.deepEqual(pdu, {
      auth_events: [],
      content: {},
      depth: 3,
      hashes: { sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' },
      origin: 'domain',
      origin_server_ts: 1000000,
      prev_events: [],
      room_id: '!x:domain',
      sender: '@a:domain',
      signatures: {
        domain: {
          'ed25519:1': 'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg',
        },
      },
      type: 'X',
      unsigned: { age_ts: 1000000 },
    });
  });

  test('the minimal event signs identically in every version that keeps origin (1-10)', () => {
    for (const v of ['3', '5', '6', '7', '8', '9', '10']) {
      const { pdu } = hashAndSignEvent(roomVersion(v), MINIMAL_EVENT, 'domain', VECTOR_KEY);
      assert.equal(
        pdu.signatures.domain?.['ed25519:1'],
        'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg',
        `room version ${v}`,
      );
    }
  });

  test('hashes and signs the event with redactable content', () => {
    const { pdu, eventId } = hashAndSignEvent(roomVersion('1'), REDACTABLE_EVENT, 'domain', VECTOR_KEY);
    assert.deepEqual(pdu, {
      content: { body: 'Here is the message content' },
      event_id: '$0:domain',
      hashes: { sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g' },
      origin: 'domain',
      origin_server_ts: 1000000,
      type: 'm.room.message',
      room_id: '!r:domain',
      sender: '@u:domain',
      signatures: {
        domain: {
          'ed25519:1': 'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA',
        },
      },
      unsigned: { age_ts: 1000000 },
    });
    assert.equal(eventId, '$0:domain');
  });

  test('v11 signs without origin, so the signature differs from the v1 vector', () => {
    const { pdu } = hashAndSignEvent(roomVersion('11'), MINIMAL_EVENT, 'domain', VECTOR_KEY);
    assert.equal(pdu.hashes.sha256, '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos');
    assert.notEqual(
      pdu.signatures.domain?.['ed25519:1'],
      'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg',
    );
  });

  test('returns the computed event id for hash-id versions', () => {
    const { pdu, eventId } = hashAndSignEvent(roomVersion('10'), MINIMAL_EVENT, 'domain', VECTOR_KEY);
    // The id of the signed appendix event, computed independently (see event-id.test.ts).
    assert.equal(eventId, '$8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc');
    assert.equal('event_id' in pdu, false);
  });
});

describe('hashing and signing with one encoding', () => {
  // hashAndSignEvent encodes the redacted event once for its signature and its reference hash.
  test('the id and signature are those computed apart, in every hash-id room version', () => {
    for (const id of ['3', '4', '6', '10', '11', '12']) {
      const v = roomVersion(id);
      const base = { ...MINIMAL_EVENT, content: { body: 'hello', nested: { list: [1, 'two'] } }, type: 'm.room.message' };
      const { pdu, eventId } = hashAndSignEvent(v, base, 'domain', VECTOR_KEY);
      assert.equal(eventId, computeEventId(v, pdu), `room version ${id}`);
      const apart = addEventSignature(v, { ...base, hashes: { sha256: computeContentHash(v, base) } }, 'domain', VECTOR_KEY);
      assert.deepEqual(pdu, apart, `room version ${id}`);
    }
  });

  test('a top-level age_ts, which the reference hash leaves out and the signature covers, still gets the right id', () => {
    const v = roomVersion('10');
    const { pdu, eventId } = hashAndSignEvent(v, { ...MINIMAL_EVENT, age_ts: 5 }, 'domain', VECTOR_KEY);
    assert.equal(eventId, computeEventId(v, pdu));
    assert.equal(eventId, computeEventId(v, { ...pdu, age_ts: 6 }));
    assert.deepEqual(checkEventSignatures(v, pdu, lookupFrom([['domain', VECTOR_KEY]])), { ok: true });
  });
});

describe('content hash', () => {
  const v = roomVersion('10');
  const { pdu } = hashAndSignEvent(v, REDACTABLE_EVENT, 'domain', VECTOR_KEY);

  test('matches the event it was computed for', () => {
    assert.equal(computeContentHash(v, REDACTABLE_EVENT), 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g');
    assert.ok(checkContentHash(v, pdu));
  });

  test('ignores unsigned and signatures', () => {
    assert.ok(checkContentHash(v, { ...pdu, unsigned: { age: 7 }, signatures: {} }));
  });

  test('fails for altered content and for a redacted copy', () => {
    assert.equal(checkContentHash(v, { ...pdu, content: { body: 'changed' } }), false);
    assert.equal(checkContentHash(v, redactEvent(v, pdu)), false);
  });

  test('fails for missing or malformed hashes', () => {
    assert.equal(checkContentHash(v, { ...pdu, hashes: undefined }), false);
    assert.equal(checkContentHash(v, { ...pdu, hashes: { sha256: 5 } }), false);
    assert.equal(checkContentHash(v, { ...pdu, hashes: { sha256: '!!!' } }), false);
  });
});

// ---------------------------------------------------------------------------------------------------

function key(seedByte: number, id = 'ed25519:k'): SigningKey {
  return signingKeyFromSeed(id, Buffer.alloc(32, seedByte));
}

function lookupFrom(entries: Array<[server: string, key: SigningKey, validUntilTs?: number]>): KeyLookup {
  const m = new Map<string, VerifyKey>();
  for (const [server, k, validUntilTs] of entries) {
    m.set(`${server} ${k.keyId}`, validUntilTs === undefined ? { publicKey: k.publicKeyBase64 } : { publicKey: k.publicKeyBase64, validUntilTs });
  }
  return (server, keyId) => m.get(`${server} ${keyId}`);
}

function event(overrides: Record<string, unknown> = {}) {
  return {
    room_id: '!r:a.org',
    sender: '@alice:a.org',
    origin_server_ts: 5000,
    type: 'm.room.message',
    content: { body: 'hi' },
    prev_events: [],
    auth_events: [],
    depth: 2,
    ...overrides,
  };
}

const A = key(1);
const B = key(2);
const C = key(3);

describe('signature requirements', () => {
  test('the sender server signs ordinary events', () => {
    assert.deepEqual(signatureRequirements(roomVersion('10'), event()), [{ servers: ['a.org'], reason: 'sender' }]);
  });

  test('v1/v2 also need the event id server', () => {
    assert.deepEqual(signatureRequirements(roomVersion('1'), event({ event_id: '$x:b.org' })), [
      { servers: ['a.org'], reason: 'sender' },
      { servers: ['b.org'], reason: 'event_id' },
    ]);
    assert.deepEqual(signatureRequirements(roomVersion('3'), event({ event_id: '$x:b.org' })), [
      { servers: ['a.org'], reason: 'sender' },
    ]);
  });

  test('restricted joins (v8+) need the authorising server', () => {
    const join = event({
      type: 'm.room.member',
      state_key: '@alice:a.org',
      content: { membership: 'join', join_authorised_via_users_server: '@mod:c.org' },
    });
    assert.deepEqual(signatureRequirements(roomVersion('8'), join), [
      { servers: ['a.org'], reason: 'sender' },
      { servers: ['c.org'], reason: 'authorising_server' },
    ]);
    assert.deepEqual(signatureRequirements(roomVersion('7'), join), [{ servers: ['a.org'], reason: 'sender' }]);
  });

  test('third-party invites may be signed by any server', () => {
    const invite = event({
      type: 'm.room.member',
      state_key: '@bob:b.org',
      content: { membership: 'invite', third_party_invite: { signed: {} } },
      signatures: { 'b.org': {}, 'c.org': {} },
    });
    assert.deepEqual(signatureRequirements(roomVersion('10'), invite), [
      { servers: ['b.org', 'c.org'], reason: 'third_party_invite' },
    ]);
  });
});

describe('signature verification', () => {
  const v10 = roomVersion('10');

  test('accepts an event signed by the sender server', () => {
    const { pdu } = hashAndSignEvent(v10, event(), 'a.org', A);
    assert.deepEqual(checkEventSignatures(v10, pdu, lookupFrom([['a.org', A]])), { ok: true });
  });

  test('still accepts a redacted copy', () => {
    const { pdu } = hashAndSignEvent(v10, event(), 'a.org', A);
    assert.deepEqual(checkEventSignatures(v10, redactEvent(v10, pdu), lookupFrom([['a.org', A]])), { ok: true });
  });

  test('rejects an event whose protected fields were changed after signing', () => {
    const { pdu } = hashAndSignEvent(v10, event(), 'a.org', A);
    const res = checkEventSignatures(v10, { ...pdu, depth: 3 }, lookupFrom([['a.org', A]]));
    assert.equal(res.ok, false);
    assert.equal(res.ok === false && res.serverName, 'a.org');
  });

  test('accepts changes to redactable content (the hash check catches those)', () => {
    const { pdu } = hashAndSignEvent(v10, event(), 'a.org', A);
    const tampered = { ...pdu, content: { body: 'changed' } };
    assert.deepEqual(checkEventSignatures(v10, tampered, lookupFrom([['a.org', A]])), { ok: true });
    assert.equal(checkContentHash(v10, tampered), false);
  });

  test('rejects an event signed only by another server', () => {
    const { pdu } = hashAndSignEvent(v10, event(), 'b.org', B);
    const res = checkEventSignatures(v10, pdu, lookupFrom([['b.org', B], ['a.org', A]]));
    assert.equal(res.ok, false);
  });

  test('rejects an event whose signing key is unknown', () => {
    const { pdu } = hashAndSignEvent(v10, event(), 'a.org', A);
    assert.equal(checkEventSignatures(v10, pdu, lookupFrom([])).ok, false);
  });

  test('skips unknown keys when another known key verifies', () => {
    const other = key(9, 'ed25519:other');
    const { pdu } = hashAndSignEvent(v10, event(), 'a.org', A);
    const both = addEventSignature(v10, pdu, 'a.org', other);
    assert.equal(Object.keys(both.signatures['a.org'] ?? {}).length, 2);
    assert.deepEqual(checkEventSignatures(v10, both, lookupFrom([['a.org', A]])), { ok: true });
  });

  test('fails when any known key of the server does not verify', () => {
    const { pdu } = hashAndSignEvent(v10, event(), 'a.org', A);
    const wrong = key(8, 'ed25519:k2');
    const forged = { ...pdu, signatures: { 'a.org': { ...pdu.signatures['a.org'], 'ed25519:k2': pdu.signatures['a.org']?.['ed25519:k'] ?? '' } } };
    assert.equal(checkEventSignatures(v10, forged, lookupFrom([['a.org', A], ['a.org', wrong]])).ok, false);
  });

  test('ignores signatures with algorithms other than ed25519', () => {
    const { pdu } = hashAndSignEvent(v10, event(), 'a.org', A);
    const sigs = { 'a.org': { 'curve25519:k': pdu.signatures['a.org']?.['ed25519:k'] ?? '' } };
    const lookup: KeyLookup = () => ({ publicKey: A.publicKeyBase64 });
    assert.equal(checkEventSignatures(v10, { ...pdu, signatures: sigs }, lookup).ok, false);
  });

  test('v5+ ignores keys that expired before the event, v1-v4 do not', () => {
    const v4 = roomVersion('4');
    const e = event({ origin_server_ts: 5000 });
    const signed10 = hashAndSignEvent(v10, e, 'a.org', A).pdu;
    const signed4 = hashAndSignEvent(v4, e, 'a.org', A).pdu;
    assert.equal(checkEventSignatures(v10, signed10, lookupFrom([['a.org', A, 4999]])).ok, false);
    assert.deepEqual(checkEventSignatures(v10, signed10, lookupFrom([['a.org', A, 5000]])), { ok: true });
    assert.deepEqual(checkEventSignatures(v4, signed4, lookupFrom([['a.org', A, 4999]])), { ok: true });
  });

  test('v1 requires the event id server as well', () => {
    const v1 = roomVersion('1');
    const e = event({ event_id: '$1:b.org' });
    const byA = hashAndSignEvent(v1, e, 'a.org', A).pdu;
    const keys = lookupFrom([['a.org', A], ['b.org', B]]);
    assert.equal(checkEventSignatures(v1, byA, keys).ok, false);
    const byBoth = addEventSignature(v1, byA, 'b.org', B);
    assert.deepEqual(checkEventSignatures(v1, byBoth, keys), { ok: true });
  });

  test('restricted joins need the authorising server signature', () => {
    const v9 = roomVersion('9');
    const join = event({
      type: 'm.room.member',
      state_key: '@alice:a.org',
      content: { membership: 'join', join_authorised_via_users_server: '@mod:c.org' },
    });
    const keys = lookupFrom([['a.org', A], ['c.org', C]]);
    const byA = hashAndSignEvent(v9, join, 'a.org', A).pdu;
    const res = checkEventSignatures(v9, byA, keys);
    assert.equal(res.ok, false);
    assert.equal(res.ok === false && res.serverName, 'c.org');
    assert.deepEqual(checkEventSignatures(v9, addEventSignature(v9, byA, 'c.org', C), keys), { ok: true });
  });

  test('third-party invites pass with a signature from a server other than the sender', () => {
    const invite = event({
      type: 'm.room.member',
      state_key: '@bob:b.org',
      content: { membership: 'invite', third_party_invite: { display_name: 'b', signed: { mxid: '@bob:b.org' } } },
    });
    const byB = hashAndSignEvent(v10, invite, 'b.org', B).pdu;
    assert.deepEqual(checkEventSignatures(v10, byB, lookupFrom([['b.org', B]])), { ok: true });
    assert.equal(checkEventSignatures(v10, { ...byB, signatures: {} }, lookupFrom([['b.org', B]])).ok, false);
  });

  test('rejects events whose sender has no server name', () => {
    const { pdu } = hashAndSignEvent(v10, event(), 'a.org', A);
    assert.equal(checkEventSignatures(v10, { ...pdu, sender: 'nobody' }, lookupFrom([['a.org', A]])).ok, false);
  });

  test('verifies old-room events holding floats with non-strict canonical JSON', () => {
    const v3 = roomVersion('3');
    const pl = event({ type: 'm.room.power_levels', state_key: '', content: { ban: 50.5 } });
    const { pdu } = hashAndSignEvent(v3, pl, 'a.org', A);
    assert.deepEqual(checkEventSignatures(v3, pdu, lookupFrom([['a.org', A]])), { ok: true });
    assert.ok(checkContentHash(v3, pdu));
  });
});

describe('key requests and async verification', () => {
  test('lists the ed25519 keys of the required servers with the validity needed', () => {
    const v10 = roomVersion('10');
    const { pdu } = hashAndSignEvent(v10, event(), 'a.org', A);
    const withExtra = { ...pdu, signatures: { ...pdu.signatures, 'z.org': { 'ed25519:z': 'x' } } };
    assert.deepEqual(keysToFetch(v10, withExtra), [{ serverName: 'a.org', keyId: 'ed25519:k', minimumValidUntilTs: 5000 }]);
    assert.deepEqual(keysToFetch(roomVersion('4'), withExtra), [{ serverName: 'a.org', keyId: 'ed25519:k' }]);
  });

  test('verifyEventSignatures awaits the lookup for each needed key', async () => {
    const v12 = roomVersion('12');
    const { pdu } = hashAndSignEvent(v12, event({ room_id: '!3lR-RIVX9EOUwH9sJsMSyftb_gWt-UZcC_wvFUUCurg' }), 'a.org', A);
    const asked: string[] = [];
    const res = await verifyEventSignatures(v12, pdu, async (server, keyId) => {
      asked.push(`${server}/${keyId}`);
      return server === 'a.org' && keyId === A.keyId ? { publicKey: A.publicKeyBase64 } : undefined;
    });
    assert.deepEqual(res, { ok: true });
    assert.deepEqual(asked, ['a.org/ed25519:k']);
    const bad = await verifyEventSignatures(v12, pdu, async () => undefined);
    assert.equal(bad.ok, false);
  });
});
