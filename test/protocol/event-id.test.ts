import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeEventId, computeReferenceHash, roomIdForCreateEvent } from '../../src/protocol/event-id.js';
import { isValidEventId, isValidRoomId } from '../../src/protocol/identifiers.js';
import { roomVersion } from '../../src/protocol/room-versions.js';

// Expected ids were computed independently with the spec's Python canonical_json (json.dumps with
// sort_keys, compact separators, ensure_ascii=False) and hashlib, not with this code base.

// The signed minimal event of the appendix "Event Signing" vector.
const SIGNED_MINIMAL = {
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
    domain: { 'ed25519:1': 'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg' },
  },
  type: 'X',
  unsigned: { age_ts: 1000000 },
};

const MESSAGE = { ...SIGNED_MINIMAL, type: 'm.room.message', content: { body: 'hello', msgtype: 'm.text' } };

describe('event ids: v1/v2 carry their own id', () => {
  test('returns event_id as given', () => {
    assert.equal(computeEventId(roomVersion('1'), { ...SIGNED_MINIMAL, event_id: '$abc:domain' }), '$abc:domain');
    assert.equal(computeEventId(roomVersion('2'), { ...SIGNED_MINIMAL, event_id: '$abc:domain' }), '$abc:domain');
  });

  test('throws when the event has no event_id', () => {
    assert.throws(() => computeEventId(roomVersion('1'), SIGNED_MINIMAL), /event_id/);
  });
});

describe('event ids: reference hash formats', () => {
  test('v3 uses standard unpadded base64', () => {
    const id = computeEventId(roomVersion('3'), MESSAGE);
    assert.equal(id, '$3l25fkOCYxQw6g0OzhetE8+aRZ2W/VCKTlyVxFlZQHI');
    assert.ok(isValidEventId(id, roomVersion('3')));
  });

  test('v4 and later use URL-safe unpadded base64', () => {
    for (const v of ['4', '5', '6', '7', '8', '9', '10']) {
      const id = computeEventId(roomVersion(v), MESSAGE);
      assert.equal(id, '$3l25fkOCYxQw6g0OzhetE8-aRZ2W_VCKTlyVxFlZQHI', `room version ${v}`);
      assert.ok(isValidEventId(id, roomVersion(v)));
    }
  });

  test('the appendix minimal event has the same id for v3 and v4 (no +, / in its hash)', () => {
    assert.equal(computeEventId(roomVersion('3'), SIGNED_MINIMAL), '$8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc');
    assert.equal(computeEventId(roomVersion('4'), SIGNED_MINIMAL), '$8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc');
  });

  test('v11 hashes without origin, because its redaction drops it', () => {
    assert.equal(computeEventId(roomVersion('11'), SIGNED_MINIMAL), '$70O_oKlXzFbkfu0KE88USi98DjSWrOELrPj-8tisl8I');
  });

  test('is unaffected by signatures, unsigned and redactable content', () => {
    const v = roomVersion('10');
    const changed = { ...MESSAGE, content: { body: 'edited' }, signatures: {}, unsigned: { age: 99 } };
    assert.equal(computeEventId(v, changed), computeEventId(v, MESSAGE));
  });

  test('changes when a protected key changes', () => {
    const v = roomVersion('10');
    assert.notEqual(computeEventId(v, { ...MESSAGE, depth: 4 }), computeEventId(v, MESSAGE));
    assert.notEqual(computeEventId(v, { ...MESSAGE, hashes: { sha256: 'other' } }), computeEventId(v, MESSAGE));
  });

  test('refuses floats from v6 on, but hashes them in older versions', () => {
    const floaty = { ...SIGNED_MINIMAL, type: 'm.room.power_levels', state_key: '', content: { ban: 50.5 } };
    assert.throws(() => computeEventId(roomVersion('6'), floaty));
    assert.match(computeEventId(roomVersion('5'), floaty), /^\$[A-Za-z0-9_-]{43}$/);
  });

  test('computeReferenceHash returns the raw 32-byte digest', () => {
    const hash = computeReferenceHash(roomVersion('4'), SIGNED_MINIMAL);
    assert.equal(hash.length, 32);
    assert.equal(hash.toString('base64url'), '8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc');
  });
});

describe('v12 room ids', () => {
  const create = {
    auth_events: [],
    content: { room_version: '12', 'm.federate': true, additional_creators: ['@b:other'] },
    depth: 1,
    hashes: { sha256: 'aGFzaA' },
    origin_server_ts: 1700000000000,
    prev_events: [],
    sender: '@a:domain',
    state_key: '',
    type: 'm.room.create',
    signatures: { domain: { 'ed25519:1': 'c2ln' } },
    unsigned: { age: 5 },
    origin: 'domain',
  };
  const expectedRoomId = '!3lR-RIVX9EOUwH9sJsMSyftb_gWt-UZcC_wvFUUCurg';

  test('is "!" plus the URL-safe reference hash of the create event', () => {
    const roomId = roomIdForCreateEvent(create);
    assert.equal(roomId, expectedRoomId);
    assert.ok(isValidRoomId(roomId, roomVersion('12')));
  });

  test('equals the create event id with the sigil swapped', () => {
    assert.equal(computeEventId(roomVersion('12'), create), '$' + expectedRoomId.slice(1));
  });

  test('accepts the version explicitly', () => {
    assert.equal(roomIdForCreateEvent(create, roomVersion('12')), expectedRoomId);
  });

  test('depends on the whole create content, which v11+ redaction keeps', () => {
    assert.notEqual(roomIdForCreateEvent({ ...create, content: { ...create.content, 'm.federate': false } }), expectedRoomId);
  });

  test('refuses versions with domain room ids and non-create events', () => {
    assert.throws(() => roomIdForCreateEvent({ ...create, content: { room_version: '11' } }), /does not derive/);
    assert.throws(() => roomIdForCreateEvent({ ...create, content: {} }), /does not derive/);
    assert.throws(() => roomIdForCreateEvent({ ...create, content: { room_version: '999' } }), /unsupported/);
    assert.throws(() => roomIdForCreateEvent({ ...create, type: 'm.room.member' }), /not an m.room.create/);
  });
});
