import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRemoteHierarchy, parseRemoteHierarchy } from '../../../src/rooms/spaces/remote-hierarchy.js';
import type { RoomId } from '../../../src/types/ids.js';
import type { JsonObject } from '../../../src/types/json.js';

// Another server's /hierarchy answer is untrusted input: malformed rooms and links are dropped, an answer
// about another room is refused, and answers are cached for a while.

const ROOT = '!space:remote.test' as RoomId;
const child = (roomId: string, ts: number, via: unknown = ['remote.test']) => ({
  type: 'm.space.child',
  state_key: roomId,
  content: { via },
  sender: '@bob:remote.test',
  origin_server_ts: ts,
});

describe('remote hierarchy answers', () => {
  test('keeps well-formed rooms and links, in the spec order, and drops the rest', () => {
    const answer = parseRemoteHierarchy(ROOT, {
      room: {
        room_id: ROOT,
        num_joined_members: 3,
        world_readable: false,
        guest_can_join: false,
        join_rule: 'public',
        name: 'Space',
        children_state: [child('!b:remote.test', 20), child('!a:remote.test', 10), child('!novia:remote.test', 5, []), { type: 'm.room.name' }],
      },
      children: [
        { room_id: '!a:remote.test', num_joined_members: 1, world_readable: true, guest_can_join: false },
        { room_id: '!bad:remote.test', num_joined_members: 'many' },
        'garbage',
      ],
      inaccessible_children: ['!secret:remote.test', 7],
    } as unknown as JsonObject);
    assert.ok(answer);
    assert.deepEqual(answer.room.children_state.map((c) => c.state_key), ['!a:remote.test', '!b:remote.test']);
    assert.equal(answer.room.name, 'Space');
    assert.deepEqual(answer.children.map((c) => c.room_id), ['!a:remote.test']);
    assert.equal(answer.children[0]?.join_rule, 'public', 'the spec default when join_rule is left out');
    assert.equal(answer.children[0]?.childrenKnown, false);
    assert.deepEqual(answer.inaccessibleChildren, ['!secret:remote.test']);
  });

  test('an answer about another room, or without a valid room, is refused', () => {
    assert.equal(parseRemoteHierarchy(ROOT, { room: { room_id: '!other:remote.test', num_joined_members: 1 } } as JsonObject), undefined);
    assert.equal(parseRemoteHierarchy(ROOT, { room: 'nope' } as JsonObject), undefined);
  });

  test('answers are cached for a few minutes and our own server is never asked', async () => {
    let now = 0;
    const asked: string[][] = [];
    const remote = createRemoteHierarchy(
      async (_roomId, servers) => {
        asked.push([...servers]);
        return { room: { room_id: ROOT, num_joined_members: 1, world_readable: true, guest_can_join: false, children_state: [] } } as unknown as JsonObject;
      },
      () => now,
      'us.test',
    );
    assert.ok(await remote(ROOT, ['us.test', 'remote.test'], false));
    assert.ok(await remote(ROOT, ['remote.test'], false));
    assert.deepEqual(asked, [['remote.test']]);
    now += 6 * 60_000;
    await remote(ROOT, ['remote.test'], false);
    assert.equal(asked.length, 2, 'asked again once the entry expired');
    assert.equal(await remote('!x:us.test' as RoomId, ['us.test'], false), undefined);
    assert.equal(asked.length, 2);
  });
});
