import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidReplacement } from '../../../src/rooms/relations/aggregations.js';
import { redactedBy, relationOf, searchRowOf } from '../../../src/rooms/relations/extract.js';
import type { StoredEvent } from '../../../src/storage/interfaces/index.js';

// The indexer's pure extraction and the m.replace validity rules (event_replacements.md).

function ev(id: string, type: string, content: Record<string, unknown>, extra: Partial<StoredEvent> & { sender?: string; stateKey?: string; room?: string } = {}): StoredEvent {
  const { sender, stateKey, room, ...rest } = extra;
  return {
    eventId: id,
    roomId: room ?? '!r:x',
    streamOrdering: 1,
    depth: 1,
    pdu: {
      room_id: room ?? '!r:x',
      sender: sender ?? '@a:x',
      type,
      content,
      origin_server_ts: 5,
      ...(stateKey !== undefined ? { state_key: stateKey } : {}),
    } as StoredEvent['pdu'],
    outlier: false,
    softFailed: false,
    rejectedReason: null,
    replacesState: null,
    redactedBy: null,
    receivedTs: 5,
    ...rest,
  };
}

describe('relation and search extraction', () => {
  test('relations need rel_type and event_id; annotations keep their key', () => {
    assert.equal(relationOf(ev('$1', 'm.room.message', { body: 'x' })), null);
    assert.equal(relationOf(ev('$1', 'm.room.message', { 'm.relates_to': { 'm.in_reply_to': { event_id: '$0' } } })), null, 'replies are not relations');
    assert.equal(relationOf(ev('$1', 'm.room.message', { 'm.relates_to': { rel_type: 'm.thread' } })), null);
    const reaction = relationOf(ev('$1', 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$0', key: '👍' } }));
    assert.equal(reaction?.aggregationKey, '👍');
    assert.equal(reaction?.relatesToId, '$0');
    const thread = relationOf(ev('$2', 'm.room.message', { 'm.relates_to': { rel_type: 'm.thread', event_id: '$0', key: 'ignored' } }));
    assert.equal(thread?.aggregationKey, null);
    assert.equal(relationOf(ev('$3', 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$0' } }, { softFailed: true })), null);
    assert.equal(relationOf(ev('$4', 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$0' } }, { rejectedReason: 'auth' })), null);
  });

  test('search rows for message bodies, names and topics only', () => {
    assert.equal(searchRowOf(ev('$1', 'm.room.message', { body: 'hello' }))?.key, 'content.body');
    assert.equal(searchRowOf(ev('$2', 'm.room.name', { name: 'Room' }, { stateKey: '' }))?.key, 'content.name');
    assert.equal(searchRowOf(ev('$3', 'm.room.topic', { topic: 'Topic' }, { stateKey: '' }))?.value, 'Topic');
    assert.equal(searchRowOf(ev('$4', 'm.room.member', { displayname: 'x', membership: 'join' }, { stateKey: '@a:x' })), null);
    assert.equal(searchRowOf(ev('$5', 'm.room.message', { body: 42 })), null);
    assert.equal(searchRowOf(ev('$6', 'm.room.message', { body: 'gone' }, { redactedBy: '$r' })), null);
  });

  test('redactions name their target in either place', () => {
    assert.equal(redactedBy(ev('$r', 'm.room.redaction', { redacts: '$t' })), '$t');
    const old = ev('$r', 'm.room.redaction', {});
    (old.pdu as { redacts?: string }).redacts = '$u';
    assert.equal(redactedBy(old), '$u');
    assert.equal(redactedBy(ev('$m', 'm.room.message', { redacts: '$t' })), null);
  });
});

describe('m.replace validity', () => {
  const original = ev('$o', 'm.room.message', { body: 'cake' });
  const edit = (extra: Parameters<typeof ev>[3] = {}, content: Record<string, unknown> = { body: '* pie', 'm.new_content': { body: 'pie' } }, type = 'm.room.message') =>
    ev('$e', type, { ...content, 'm.relates_to': { rel_type: 'm.replace', event_id: '$o' } }, extra);

  test('same sender, type and room with m.new_content is valid', () => {
    assert.equal(isValidReplacement(original, edit()), true);
  });
  test('another sender, another type, another room, a state key or no m.new_content is not', () => {
    assert.equal(isValidReplacement(original, edit({ sender: '@b:x' })), false);
    assert.equal(isValidReplacement(original, edit({}, undefined, 'm.sticker')), false);
    assert.equal(isValidReplacement(original, edit({ room: '!other:x' })), false);
    assert.equal(isValidReplacement(original, edit({ stateKey: '' })), false);
    assert.equal(isValidReplacement(original, edit({}, { body: '* pie' })), false);
  });
  test('an edit of an edit is not valid; encrypted edits need no visible m.new_content', () => {
    const firstEdit = edit();
    assert.equal(isValidReplacement(firstEdit, ev('$e2', 'm.room.message', { body: 'x', 'm.new_content': { body: 'x' } })), false);
    const encOriginal = ev('$o', 'm.room.encrypted', { ciphertext: 'c' });
    assert.equal(isValidReplacement(encOriginal, ev('$e3', 'm.room.encrypted', { ciphertext: 'd', 'm.relates_to': { rel_type: 'm.replace', event_id: '$o' } })), true);
  });
});
