import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage, testLogger } from '../../helpers/storage.js';
import { testConfig } from '../../helpers/http.js';
import { roomHarness, SERVER } from '../harness.js';
import { createRoomReader, filterEventsForUser } from '../../../src/rooms/index.js';
import type { Storage, StoredEvent } from '../../../src/storage/interfaces/index.js';

// History visibility through the reader and filterEventsForUser, for each visibility value, over rooms built by
// the real room writer (both storage engines).

async function messageEvents(storage: Storage, roomId: string): Promise<StoredEvent[]> {
  const all = await storage.rooms.getRoomEventsInRange(roomId, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'f', 1000);
  return all.filter((e) => e.pdu.type === 'm.room.message');
}

const body = (e: StoredEvent) => e.pdu.content.body;

// Bob is invited after "before", joins after "invited", leaves after "joined".
const EXPECTED: Record<string, { bob: string[]; stranger: string[] }> = {
  world_readable: { bob: ['before', 'invited', 'joined', 'after leave'], stranger: ['before', 'invited', 'joined', 'after leave'] },
  shared: { bob: ['before', 'invited', 'joined'], stranger: [] },
  invited: { bob: ['invited', 'joined'], stranger: [] },
  joined: { bob: ['joined'], stranger: [] },
};

describeStorage('room read visibility', (ctx) => {
  for (const [visibility, expected] of Object.entries(EXPECTED)) {
    test(`history_visibility ${visibility}: what a departed member and a stranger may see`, async () => {
      const storage = await ctx.open();
      const h = roomHarness(storage);
      const alice = h.user('alice');
      const bob = h.user('bob');
      const stranger = h.user('stranger');
      const { room_id: roomId } = await h.rooms.createRoom(alice, { preset: 'public_chat' });
      await h.rooms.sendStateEvent(alice, roomId, 'm.room.history_visibility', '', { history_visibility: visibility });
      const say = (text: string) => h.rooms.sendMessageEvent(alice, roomId, 'm.room.message', { msgtype: 'm.text', body: text }, text);
      await say('before');
      await h.rooms.invite(alice, roomId, bob.userId);
      await say('invited');
      await h.rooms.join(bob, roomId);
      await say('joined');
      await h.rooms.leave(bob, roomId);
      await say('after leave');

      const events = await messageEvents(storage, roomId);
      assert.deepEqual((await filterEventsForUser(storage.rooms, bob.userId, events)).map(body), expected.bob);
      assert.deepEqual((await filterEventsForUser(storage.rooms, stranger.userId, events)).map(body), expected.stranger);
      assert.deepEqual((await filterEventsForUser(storage.rooms, alice.userId, events)).map(body), ['before', 'invited', 'joined', 'after leave']);

      // Through the reader: the departed member never reads past the leave, whatever the visibility.
      const reader = createRoomReader({ storage, config: testConfig({ serverName: SERVER }), logger: testLogger(), now: Date.now });
      const page = await reader.messages(bob, roomId, { dir: 'b', limit: 100, filter: { types: ['m.room.message'] } });
      assert.deepEqual(
        page.chunk.map((e) => e.content.body).reverse(),
        expected.bob.filter((b) => b !== 'after leave'),
      );
      if (visibility === 'world_readable') {
        const peek = await reader.messages(stranger, roomId, { dir: 'f', limit: 100, filter: { types: ['m.room.message'] } });
        assert.deepEqual(peek.chunk.map((e) => e.content.body), expected.stranger);
      } else {
        await assert.rejects(reader.messages(stranger, roomId, { dir: 'b', limit: 10 }), { errcode: 'M_FORBIDDEN' });
      }
    });
  }
});
