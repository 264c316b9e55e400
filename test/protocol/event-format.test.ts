import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePdu } from '../../src/protocol/event-format.js';
import { roomVersion } from '../../src/protocol/room-versions.js';

const HASH_ID = '$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg';
const HASH_ID_STD = '$abc/def+ghijklmnopqrstuvwxyz0123456789ABCDE';
const V12_ROOM = '!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ';

function v4Event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    room_id: '!r:example.org',
    sender: '@alice:example.org',
    origin_server_ts: 1234567890,
    type: 'm.room.message',
    content: { body: 'hi' },
    prev_events: [HASH_ID],
    auth_events: [HASH_ID],
    depth: 12,
    hashes: { sha256: 'ThisHashCoversAllFieldsInCaseThisIsRedacted' },
    signatures: { 'example.org': { 'ed25519:1': 'sig' } },
    unsigned: { age: 4612 },
    ...overrides,
  };
}

function v1Event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return v4Event({
    event_id: '$a4ecee13e2accdadf56c1025:example.com',
    prev_events: [['$af232176:example.org', { sha256: 'abase64encodedsha256hashshouldbe43byteslong' }]],
    auth_events: [['$af232176:example.org', { sha256: 'abase64encodedsha256hashshouldbe43byteslong' }]],
    ...overrides,
  });
}

function reasonOf(version: string, json: unknown): string | null {
  const res = validatePdu(roomVersion(version), json);
  return res.ok ? null : res.reason;
}

function assertValid(version: string, json: unknown): void {
  assert.equal(reasonOf(version, json), null);
}

function assertInvalid(version: string, json: unknown, pattern: RegExp): void {
  const reason = reasonOf(version, json);
  assert.ok(reason !== null, 'expected the event to be refused');
  assert.match(reason, pattern);
}

describe('validatePdu: well-formed events', () => {
  test('accepts a v4-style event for every version from 4 to 11 and returns it unchanged', () => {
    for (const v of ['4', '5', '6', '7', '8', '9', '10', '11']) {
      const ev = v4Event();
      const res = validatePdu(roomVersion(v), ev);
      assert.ok(res.ok, v);
      assert.equal(res.pdu, ev);
    }
  });

  test('accepts v1/v2 events with event_id and [id, hashes] pairs', () => {
    assertValid('1', v1Event());
    assertValid('2', v1Event());
  });

  test('accepts v3 events with standard-base64 ids', () => {
    assertValid('3', v4Event({ prev_events: [HASH_ID_STD], auth_events: [] }));
  });

  test('accepts v12 events with a hash room id and v12 create events without room_id', () => {
    assertValid('12', v4Event({ room_id: V12_ROOM }));
    const { room_id: _r, ...create } = v4Event({ type: 'm.room.create', state_key: '', prev_events: [], auth_events: [] });
    assertValid('12', create);
  });

  test('leaves a v12 create event that carries a room_id to the auth rules', () => {
    assertValid('12', v4Event({ type: 'm.room.create', state_key: '', room_id: V12_ROOM, prev_events: [], auth_events: [] }));
  });

  test('accepts historical user ids as sender', () => {
    assertValid('10', v4Event({ sender: '@Old User:example.org' }));
  });

  test('accepts extra unknown top-level keys', () => {
    assertValid('10', v4Event({ origin: 'example.org', 'org.example.custom': [1] }));
  });
});

describe('validatePdu: required fields and types', () => {
  test('refuses non-objects', () => {
    for (const bad of [null, [], 'x', 5]) assertInvalid('10', bad, /JSON object/);
  });

  const required = ['sender', 'origin_server_ts', 'type', 'content', 'depth', 'hashes', 'signatures', 'prev_events', 'auth_events', 'room_id'];
  for (const key of required) {
    test(`refuses an event without ${key}`, () => {
      const ev = v4Event();
      delete ev[key];
      assert.notEqual(reasonOf('10', ev), null);
    });
  }

  test('v1 requires event_id; v3+ does not', () => {
    const { event_id: _e, ...noId } = v1Event();
    assertInvalid('1', noId, /event_id/);
    assertValid('10', v4Event());
  });

  test('v12 requires room_id on events other than the create event', () => {
    const { room_id: _r, ...ev } = v4Event();
    assertInvalid('12', ev, /room_id/);
  });

  const wrongTypes: Array<[string, unknown, RegExp]> = [
    ['sender', 5, /sender/],
    ['type', null, /type/],
    ['state_key', 1, /state_key/],
    ['content', [], /content/],
    ['content', 'x', /content/],
    ['origin_server_ts', '1', /origin_server_ts/],
    ['origin_server_ts', 1.5, /origin_server_ts/],
    ['depth', 1.5, /depth/],
    ['depth', -1, /depth/],
    ['hashes', { sha256: 5 }, /hashes/],
    ['hashes', {}, /hashes/],
    ['signatures', [], /signatures/],
    ['signatures', { 'example.org': 'sig' }, /signatures/],
    ['signatures', { 'example.org': { 'ed25519:1': 5 } }, /signatures/],
    ['unsigned', 'x', /unsigned/],
    ['redacts', 5, /redacts/],
  ];
  for (const [key, value, pattern] of wrongTypes) {
    test(`refuses ${key} = ${JSON.stringify(value)}`, () => assertInvalid('10', v4Event({ [key]: value }), pattern));
  }

  test('refuses malformed identifiers', () => {
    assertInvalid('10', v4Event({ sender: 'alice' }), /sender/);
    assertInvalid('10', v4Event({ sender: '@alice:bad_host' }), /sender/);
    assertInvalid('10', v4Event({ room_id: V12_ROOM }), /room_id/);
    assertInvalid('12', v4Event({ room_id: '!r:example.org' }), /room_id/);
    assertInvalid('1', v1Event({ event_id: HASH_ID }), /event_id/);
  });
});

describe('validatePdu: prev_events and auth_events shapes', () => {
  test('v1/v2 refuse bare ids', () => {
    assertInvalid('1', v1Event({ prev_events: ['$af232176:example.org'] }), /prev_events/);
  });

  test('v1/v2 refuse pairs of the wrong length or without a hashes object', () => {
    assertInvalid('2', v1Event({ auth_events: [['$a:example.org']] }), /auth_events/);
    assertInvalid('2', v1Event({ auth_events: [['$a:example.org', 'hash']] }), /auth_events/);
    assertInvalid('2', v1Event({ auth_events: [['$a:example.org', { sha256: 1 }]] }), /auth_events/);
    assertInvalid('2', v1Event({ auth_events: [[5, { sha256: 'h' }]] }), /auth_events/);
  });

  test('v3+ refuse pairs', () => {
    assertInvalid('10', v4Event({ prev_events: [[HASH_ID, { sha256: 'h' }]] }), /prev_events/);
  });

  test('event ids in refs must match the version format', () => {
    assertInvalid('4', v4Event({ prev_events: [HASH_ID_STD] }), /prev_events/);
    assertInvalid('3', v4Event({ prev_events: [HASH_ID] }), /prev_events/);
    assertInvalid('10', v4Event({ auth_events: ['$x:example.org'] }), /auth_events/);
  });

  test('limits prev_events to 20 and auth_events to 10', () => {
    assertValid('10', v4Event({ prev_events: Array(20).fill(HASH_ID), auth_events: Array(10).fill(HASH_ID) }));
    assertInvalid('10', v4Event({ prev_events: Array(21).fill(HASH_ID) }), /prev_events.*more than 20/);
    assertInvalid('10', v4Event({ auth_events: Array(11).fill(HASH_ID) }), /auth_events.*more than 10/);
  });

  test('refuses non-array refs', () => {
    assertInvalid('10', v4Event({ prev_events: {} }), /prev_events/);
  });
});

describe('validatePdu: size limits', () => {
  test('accepts an event of exactly 65536 bytes of canonical JSON and refuses one byte more', () => {
    const skeleton = v4Event({ content: { body: '' } });
    const baseSize = Buffer.byteLength(JSON.stringify(skeleton));
    const fill = 65536 - baseSize;
    assertValid('10', v4Event({ content: { body: 'x'.repeat(fill) } }));
    assertInvalid('10', v4Event({ content: { body: 'x'.repeat(fill + 1) } }), /65536/);
  });

  test('counts UTF-8 bytes, not characters', () => {
    const baseSize = Buffer.byteLength(JSON.stringify(v4Event({ content: { body: '' } })));
    const chars = Math.ceil((65536 - baseSize + 1) / 3);
    assertInvalid('10', v4Event({ content: { body: '日'.repeat(chars) } }), /bytes/);
  });

  test('limits type and state_key to 255 bytes', () => {
    assertValid('10', v4Event({ type: 't'.repeat(255), state_key: 's'.repeat(255) }));
    assertInvalid('10', v4Event({ type: 't'.repeat(256) }), /type/);
    assertInvalid('10', v4Event({ state_key: 'é'.repeat(128) }), /state_key/);
  });

  test('limits sender, room_id and event_id to 255 bytes', () => {
    const domain = ':example.org';
    assertInvalid('10', v4Event({ sender: '@' + 'a'.repeat(256 - 1 - domain.length) + domain }), /sender/);
    assertInvalid('10', v4Event({ room_id: '!' + 'a'.repeat(256 - 1 - domain.length) + domain }), /room_id/);
    assertInvalid('1', v1Event({ event_id: '$' + 'a'.repeat(256 - 1 - domain.length) + domain }), /event_id/);
  });
});

describe('validatePdu: canonical JSON and number ranges', () => {
  test('v6+ refuse floats anywhere in the signed event', () => {
    assertInvalid('6', v4Event({ content: { n: 1.5 } }), /canonical JSON/);
    assertInvalid('11', v4Event({ content: { nested: [{ n: 0.1 }] } }), /canonical JSON/);
  });

  test('v6+ refuse integers outside ±(2^53-1)', () => {
    assertValid('6', v4Event({ content: { n: 2 ** 53 - 1 } }));
    assertInvalid('6', v4Event({ content: { n: 2 ** 53 } }), /canonical JSON/);
    assertInvalid('6', v4Event({ origin_server_ts: -(2 ** 53) }), /canonical JSON/);
  });

  test('v6+ tolerate floats in unsigned, which no hash or signature covers', () => {
    assertValid('10', v4Event({ unsigned: { age: 1.5 } }));
  });

  test('v1-v5 accept floats and big integers in content', () => {
    assertValid('5', v4Event({ content: { n: 1.5, big: 2 ** 60 } }));
    assertValid('1', v1Event({ content: { n: 1.5 } }));
  });

  test('depth is bounded by 2^53-1 from v6 and 2^63-1 before', () => {
    assertValid('5', v4Event({ depth: 2 ** 60 }));
    assertInvalid('6', v4Event({ depth: 2 ** 53 }), /depth|canonical/);
    assertInvalid('5', v4Event({ depth: 2 ** 64 }), /depth/);
  });
});
