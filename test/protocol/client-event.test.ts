import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toClientEvent } from '../../src/protocol/client-event.js';
import { roomVersion } from '../../src/protocol/room-versions.js';
import type { Pdu } from '../../src/types/pdu.js';

const base = (over: Partial<Pdu>): Pdu => ({
  sender: '@a:x',
  origin_server_ts: 5,
  type: 'm.room.message',
  content: { body: 'hi', msgtype: 'm.text' },
  prev_events: [],
  auth_events: [],
  depth: 3,
  hashes: { sha256: 'h' },
  signatures: {},
  room_id: '!r:x',
  ...over,
});

test('a client event carries the PDU fields clients read, and unsigned extras only when given', () => {
  const ev = toClientEvent(roomVersion('11'), '$e', base({}), { ageMs: 10, transactionId: 't1' });
  assert.deepEqual(ev, {
    event_id: '$e',
    room_id: '!r:x',
    sender: '@a:x',
    type: 'm.room.message',
    content: { body: 'hi', msgtype: 'm.text' },
    origin_server_ts: 5,
    unsigned: { age: 10, transaction_id: 't1' },
  });
  assert.equal(toClientEvent(roomVersion('11'), '$e', base({})).unsigned, undefined);
  assert.equal(toClientEvent(roomVersion('11'), '$e', base({}), {}, { includeRoomId: false }).room_id, undefined);
});

test('a redacted event loses its content and names the redaction', () => {
  const redaction = toClientEvent(roomVersion('11'), '$r', base({ type: 'm.room.redaction', content: { redacts: '$e' } }));
  assert.equal(redaction.redacts, '$e', 'v11 redacts in content is also given at the top level');
  const ev = toClientEvent(roomVersion('11'), '$e', base({}), { redactedBecause: redaction });
  assert.deepEqual(ev.content, {});
  assert.equal((ev.unsigned?.redacted_because as { event_id: string }).event_id, '$r');
});

test('state events get prev_content; a v12 create event gets the room id derived from its event id', () => {
  const topic = toClientEvent(roomVersion('12'), '$t', base({ type: 'm.room.topic', state_key: '', content: { topic: 'b' } }), {
    prevContent: { topic: 'a' },
    replacesState: '$old',
  });
  assert.deepEqual(topic.unsigned, { prev_content: { topic: 'a' }, replaces_state: '$old' });
  const create = base({ type: 'm.room.create', state_key: '', content: { room_version: '12' } });
  delete create.room_id;
  assert.equal(toClientEvent(roomVersion('12'), '$abc', create).room_id, '!abc');
  assert.equal(toClientEvent(roomVersion('11'), '$abc', create).room_id, undefined);
});
