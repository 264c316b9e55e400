import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSigningKey } from '../../src/crypto/index.js';
import { roomVersion, stateKey } from '../../src/protocol/index.js';
import { RoomDraft } from '../../src/rooms/room-draft.js';
import type { RoomReadStore } from '../../src/storage/interfaces/index.js';
import type { EventId } from '../../src/types/ids.js';

// The room writer's draft: each appended event's state before it, and which events a kept draft still holds
// for the next flow (current state and extremities) without reading them from the store again.

const SERVER = 'draft.example.org';
const alice = `@alice:${SERVER}`;

function draftWithStore() {
  const reads: EventId[][] = [];
  const store = {
    getEvents: async (ids: readonly EventId[]) => {
      reads.push([...ids]);
      return new Map();
    },
  } as unknown as RoomReadStore;
  let ts = Date.now();
  const ctx = { serverName: SERVER, signingKey: generateSigningKey('t'), store, now: () => Date.now(), createTs: () => ++ts };
  return { draft: RoomDraft.empty(ctx, roomVersion('12')), reads };
}

const message = (body: string) => ({ type: 'm.room.message', sender: alice, content: { msgtype: 'm.text', body } });
const member = (displayname: string | null) => ({
  type: 'm.room.member',
  sender: alice,
  stateKey: alice,
  content: { membership: 'join', ...(displayname !== null ? { displayname } : {}) },
});

test("each appended event keeps the state before it, whatever state events come after", async () => {
  const { draft } = draftWithStore();
  await draft.append({ type: 'm.room.create', sender: alice, stateKey: '', content: { room_version: '12' } });
  const join = await draft.append(member(null));
  await draft.append(message('one'));
  const rename = await draft.append(member('Alice'));
  await draft.append(message('two'));
  const key = stateKey('m.room.member', alice);
  assert.deepEqual(
    draft.pending.map((e) => e.stateBefore?.get(key)),
    [undefined, undefined, join.eventId, join.eventId, rename.eventId],
  );
  assert.equal(draft.state.get(key), rename.eventId);
  assert.equal(draft.pending[3]?.stateBefore?.size, 2, 'the rename saw the create and the join, not itself');
});

test('a kept draft holds current state and the extremities, and reads anything else from the store again', async () => {
  const { draft, reads } = draftWithStore();
  const create = await draft.append({ type: 'm.room.create', sender: alice, stateKey: '', content: { room_version: '12' } });
  const join = await draft.append(member(null));
  const first = await draft.append(message('one'));
  const rename = await draft.append(member('Alice'));
  const last = await draft.append(message('two'));
  draft.pending.splice(0);
  draft.prepareForReuse();

  await draft.loadEvents([create.eventId, rename.eventId, last.eventId]);
  assert.deepEqual(reads, [], 'current state and the extremity are kept');
  await draft.loadEvents([join.eventId, first.eventId]);
  assert.deepEqual(reads, [[join.eventId, first.eventId]], 'a replaced member event and an old message are not');

  // The next flow replaces the member event and the extremity the draft kept: both go at the next prepare.
  const renameAgain = await draft.append(member('Alice again'));
  const next = await draft.append(message('three'));
  draft.pending.splice(0);
  draft.prepareForReuse();
  await draft.loadEvents([next.eventId, renameAgain.eventId, create.eventId]);
  assert.equal(reads.length, 1, 'the new member event and extremity are kept');
  await draft.loadEvents([rename.eventId]);
  await draft.loadEvents([last.eventId]);
  assert.deepEqual(reads.slice(1), [[rename.eventId], [last.eventId]]);
});
