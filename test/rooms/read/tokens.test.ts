import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRoomToken, parseEventsPosition } from '../../../src/rooms/read/tokens.js';
import { eventMatchesFilter } from '../../../src/rooms/read/event-filter.js';
import { isMatrixError } from '../../../src/errors/index.js';
import type { Pdu } from '../../../src/types/pdu.js';
import type { JsonObject } from '../../../src/types/json.js';

test('room tokens round-trip, including negative (backfilled) positions', () => {
  for (const n of [0, 1, 42, 9_007_199_254_740, -17]) assert.equal(parseEventsPosition(formatRoomToken(n)), n);
  assert.equal(formatRoomToken(12), 's12');
});

test('sync tokens yield their events position', () => {
  assert.equal(parseEventsPosition('s57_3_0_12_4'), 57);
  assert.equal(parseEventsPosition('s9_1'), 9);
  assert.equal(parseEventsPosition('s9_'), 9);
});

test('anything else is M_INVALID_PARAM naming the parameter', () => {
  for (const bad of ['', 's', 'x12', '12', 's1.5', 's12x', 't1-2', 's99999999999999999', ' s1']) {
    assert.throws(
      () => parseEventsPosition(bad, 'to'),
      (e: unknown) => isMatrixError(e) && e.errcode === 'M_INVALID_PARAM' && e.status === 400 && e.message.includes('to'),
      bad,
    );
  }
});

function pdu(type: string, sender: string, content: JsonObject = {}): Pdu {
  return {
    room_id: '!r:x',
    type,
    sender,
    content,
    origin_server_ts: 1,
    prev_events: [],
    auth_events: [],
    depth: 1,
    hashes: { sha256: '' },
    signatures: {},
  };
}

test('room event filters: types with wildcards, senders, rooms and contains_url', () => {
  const msg = pdu('m.room.message', '@a:x', { body: 'hi' });
  const img = pdu('m.room.message', '@b:x', { url: 'mxc://x/y' });
  const member = pdu('m.room.member', '@a:x');
  assert.equal(eventMatchesFilter(undefined, msg), true);
  assert.equal(eventMatchesFilter({ types: ['m.room.*'] }, member), true);
  assert.equal(eventMatchesFilter({ types: ['m.room.message'] }, member), false);
  assert.equal(eventMatchesFilter({ not_types: ['m.room.mem*'] }, member), false);
  assert.equal(eventMatchesFilter({ types: ['*'], not_types: ['m.room.message'] }, msg), false);
  assert.equal(eventMatchesFilter({ senders: ['@b:x'] }, msg), false);
  assert.equal(eventMatchesFilter({ not_senders: ['@b:x'] }, img), false);
  assert.equal(eventMatchesFilter({ contains_url: true }, img), true);
  assert.equal(eventMatchesFilter({ contains_url: true }, msg), false);
  assert.equal(eventMatchesFilter({ contains_url: false }, msg), true);
  assert.equal(eventMatchesFilter({ not_rooms: ['!r:x'] }, msg), false);
  assert.equal(eventMatchesFilter({ rooms: ['!other:x'] }, msg, '!other:x'), true);
  // Regex characters in patterns are literal.
  assert.equal(eventMatchesFilter({ types: ['m.room.messag.'] }, msg), false);
});
