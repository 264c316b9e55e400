import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../helpers/storage.js';
import type { TestServer } from '../helpers/server.js';
import { apiFor, createRoom, send, startSyncServer, sync, type Api, type J } from '../client/sync/helpers.js';

// An initial sync over many rooms builds their sections side by side over batched reads
// (src/sync/batched-reads.ts); an initial sync filtered to one room builds that room alone, straight from
// the store. Each room's section must be the same both ways, for rooms in every state the builders treat
// differently: limited and complete timelines, history visibility hiding what came before the join,
// a left room, an invite, named and unnamed rooms, relations, redactions, receipts and room account data,
// with and without lazy-loaded members, and with state_after.

/** The JSON with every unsigned.age removed: it is the time since the event, which moves between requests. */
function withoutAge(value: J): J {
  if (Array.isArray(value)) return value.map(withoutAge);
  if (value === null || typeof value !== 'object') return value;
  const out: J = {};
  for (const [k, v] of Object.entries(value)) if (k !== 'age') out[k] = withoutAge(v);
  return out;
}

const enc = encodeURIComponent;

describeStorage('initial sync over many rooms, section by section', (ctx) => {
  let server: TestServer;
  let alice: Api;
  let bob: Api;
  const rooms: Record<string, string> = {};

  before(async () => {
    const db = await ctx.createDatabase();
    server = await startSyncServer({ database: db.config });
    alice = await apiFor(server, 'alice');
    bob = await apiFor(server, 'bob');

    // More messages than the default timeline limit: limited, prev_batch mid-room.
    rooms.busy = await createRoom(alice, { name: 'busy' });
    for (let i = 0; i < 14; i++) await send(alice, rooms.busy, `busy ${i}`);
    // A handful of events: the whole room fits, create event included.
    rooms.quiet = await createRoom(alice);
    await send(alice, rooms.quiet, 'quiet');

    // History before alice's join is hidden ('joined' visibility), and shown ('shared') in the other.
    for (const visibility of ['joined', 'shared', 'invited'] as const) {
      const roomId = await createRoom(bob, { initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: visibility } }] });
      await send(bob, roomId, `before invite (${visibility})`);
      await bob.ok('POST', `/v3/rooms/${enc(roomId)}/invite`, { user_id: alice.user.userId });
      await send(bob, roomId, `after invite (${visibility})`);
      await alice.ok('POST', `/v3/join/${enc(roomId)}`, {});
      await send(alice, roomId, `alice in (${visibility})`);
      rooms[visibility] = roomId;
    }

    // Relations, a redaction, a state change, a receipt and room account data.
    const rich = await createRoom(alice, { invite: [bob.user.userId] });
    await bob.ok('POST', `/v3/join/${enc(rich)}`, {});
    const root = await send(bob, rich, 'root');
    await alice.ok('PUT', `/v3/rooms/${enc(rich)}/send/m.room.message/edit1`, {
      msgtype: 'm.text',
      body: '* root',
      'm.new_content': { msgtype: 'm.text', body: 'root (edited)' },
      'm.relates_to': { rel_type: 'm.replace', event_id: root },
    });
    await alice.ok('PUT', `/v3/rooms/${enc(rich)}/send/m.room.message/thread1`, {
      msgtype: 'm.text',
      body: 'in thread',
      'm.relates_to': { rel_type: 'm.thread', event_id: root },
    });
    const doomed = await send(bob, rich, 'doomed');
    await bob.ok('PUT', `/v3/rooms/${enc(rich)}/redact/${enc(doomed)}/r1`, { reason: 'test' });
    await alice.ok('PUT', `/v3/rooms/${enc(rich)}/state/m.room.topic/`, { topic: 'topic one' });
    await alice.ok('PUT', `/v3/rooms/${enc(rich)}/state/m.room.topic/`, { topic: 'topic two' });
    const last = await send(bob, rich, 'read me');
    await alice.ok('POST', `/v3/rooms/${enc(rich)}/receipt/m.read/${enc(last)}`, {});
    await alice.ok('PUT', `/v3/user/${enc(alice.user.userId)}/rooms/${enc(rich)}/account_data/org.example.tag`, { n: 1 });
    rooms.rich = rich;

    // Left, and invited.
    rooms.left = await createRoom(bob, { preset: 'public_chat' });
    await alice.ok('POST', `/v3/join/${enc(rooms.left)}`, {});
    await send(bob, rooms.left, 'while alice was there');
    await alice.ok('POST', `/v3/rooms/${enc(rooms.left)}/leave`, {});
    await send(bob, rooms.left, 'after alice left');
    rooms.invite = await createRoom(bob, { name: 'invitation' });
    await bob.ok('POST', `/v3/rooms/${enc(rooms.invite)}/invite`, { user_id: alice.user.userId });
  });
  after(() => server?.close());

  const filters: Record<string, J> = {
    default: { room: { include_leave: true } },
    'lazy members': { room: { include_leave: true, state: { lazy_load_members: true }, timeline: { limit: 5 } } },
    'lazy members, redundant': { room: { include_leave: true, state: { lazy_load_members: true, include_redundant_members: true } } },
    'messages only': { room: { include_leave: true, timeline: { types: ['m.room.message'], limit: 3 } } },
  };

  for (const [name, filter] of Object.entries(filters)) {
    for (const stateAfter of [false, true]) {
      test(`${name}${stateAfter ? ', state_after' : ''}: each room's section is what a sync of that room alone returns`, async () => {
        const extra = stateAfter ? { use_state_after: true } : {};
        const all: J = await sync(alice, { filter: JSON.stringify(filter), ...extra });
        const ids = Object.values(rooms);
        for (const section of ['join', 'leave', 'invite'] as const) {
          for (const roomId of Object.keys(all.rooms[section] ?? {})) assert.ok(ids.includes(roomId), `unexpected ${section} room`);
        }
        assert.equal(Object.keys(all.rooms.join).length, 6);
        assert.deepEqual(Object.keys(all.rooms.leave), [rooms.left]);
        assert.deepEqual(Object.keys(all.rooms.invite), [rooms.invite]);
        // The 'joined' room hides bob's messages from before alice joined; 'shared' shows them.
        const bodies = (roomId: string | undefined) => all.rooms.join[roomId ?? ''].timeline.events.map((e: J) => e.content.body).filter(Boolean);
        assert.ok(!bodies(rooms.joined).includes('before invite (joined)'));
        if (name !== 'messages only') assert.ok(bodies(rooms.shared).includes('before invite (shared)'));

        for (const roomId of ids) {
          const one: J = await sync(alice, { filter: JSON.stringify({ ...filter, room: { ...filter.room, rooms: [roomId] } }), ...extra });
          for (const section of ['join', 'leave', 'invite'] as const) {
            assert.deepEqual(withoutAge(all.rooms[section]?.[roomId]), withoutAge(one.rooms[section]?.[roomId]), `${section} ${roomId}`);
          }
        }
      });
    }
  }
});
