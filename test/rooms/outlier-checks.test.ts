import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authStateKeysFor, roomVersion, type RoomVersion } from '../../src/protocol/index.js';
import { checkOutlierBatch } from '../../src/rooms/outlier-checks.js';
import type { StoredEvent } from '../../src/storage/interfaces/index.js';
import type { EventId } from '../../src/types/ids.js';
import type { RoomEvent } from '../../src/types/pdu.js';
import { ALICE, BOB, CAROL, DAVE, Room } from '../protocol/auth/fixtures.js';

// The auth-rule check of a batch of state and auth events whose place in the DAG is unknown (send_join
// answers, the partial-state resync, gap filling): each against its own auth events, in dependency order.

/** Lists as auth_events the events of the room's current state that the auth rules select for `ev`. */
function withAuth(room: Room, ev: RoomEvent, extra: Record<string, RoomEvent> = {}): RoomEvent {
  const ids: string[] = [];
  for (const key of authStateKeysFor(room.version, ev.pdu)) {
    if (key === 'm.room.create\u0000' && room.version.createEventNotInAuthEvents) continue;
    const a = extra[key] ?? room.state.get(key);
    if (a !== undefined) ids.push(a.eventId);
  }
  ev.pdu.auth_events = ids.map((id) => (room.version.eventRefsArePairs ? [id, { sha256: 'x' }] : id)) as RoomEvent['pdu']['auth_events'];
  return ev;
}

/** A public room: alice created and joined it, bob (power 50) joined; every event lists its auth events. */
function buildRoom(version: RoomVersion): { room: Room; events: RoomEvent[] } {
  const room = new Room(version);
  const events = [room.create];
  const add = (type: string, key: string, sender: string, content: Record<string, unknown>): void => {
    const ev = withAuth(room, room.event({ type, sender, state_key: key, content: content as RoomEvent['pdu']['content'] }));
    room.state.set(`${type}\u0000${key}`, ev);
    events.push(ev);
  };
  add('m.room.member', ALICE, ALICE, { membership: 'join' });
  const users: Record<string, number> = { [BOB]: 50 };
  if (!version.privilegedCreators) users[ALICE] = 100;
  add('m.room.power_levels', '', ALICE, { users, users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0 });
  add('m.room.join_rules', '', ALICE, { join_rule: 'public' });
  add('m.room.member', BOB, BOB, { membership: 'join' });
  return { room, events };
}

function store(held: RoomEvent[] = [], rejected: ReadonlySet<EventId> = new Set()) {
  const byId = new Map(held.map((e) => [e.eventId, { eventId: e.eventId, pdu: e.pdu, rejectedReason: rejected.has(e.eventId) ? 'no' : null } as unknown as StoredEvent]));
  return {
    getEvents: async (ids: Iterable<EventId>) => new Map([...ids].flatMap((id) => (byId.has(id) ? [[id, byId.get(id) as StoredEvent] as const] : []))),
    // (v12 takes the create event it does not list from the room's state.)
    getCurrentStateEvent: async (_room: string, type: string) => [...byId.values()].find((e) => e.pdu.type === type && type === 'm.room.create'),
  };
}

for (const id of ['10', '12']) {
  const version = roomVersion(id);
  describe(`checkOutlierBatch (room version ${id})`, () => {
    test('a valid state in any order passes, auth events before the events they authorise', async () => {
      const { room, events } = buildRoom(version);
      const { accepted, rejected } = await checkOutlierBatch(store(), version, room.roomId, [...events].reverse());
      assert.deepEqual([...rejected], []);
      assert.equal(accepted.length, events.length);
      const position = new Map(accepted.map((e, i) => [e.eventId, i]));
      for (const e of accepted) {
        for (const ref of e.pdu.auth_events) {
          const a = typeof ref === 'string' ? ref : ref[0];
          assert.ok((position.get(a) ?? -1) < (position.get(e.eventId) ?? -1), `${a} comes before ${e.eventId}`);
        }
      }
    });

    test('an unauthorised event fails, and so does everything resting on it', async () => {
      const { room, events } = buildRoom(version);
      // carol is not a member: her name change fails; a join made by bob for dave fails (sender is not the
      // joiner), and dave's topic, listing that join, fails with it.
      const name = withAuth(room, room.event({ type: 'm.room.name', sender: CAROL, state_key: '', content: { name: 'x' } }));
      const forgedJoin = withAuth(room, room.event({ type: 'm.room.member', sender: BOB, state_key: DAVE, content: { membership: 'join' } }));
      const topic = withAuth(room, room.event({ type: 'm.room.topic', sender: DAVE, state_key: '', content: { topic: 'x' } }), {
        [`m.room.member\u0000${DAVE}`]: forgedJoin,
      });
      const batch = [topic, forgedJoin, name, ...events];
      const { accepted, rejected } = await checkOutlierBatch(store(), version, room.roomId, batch);
      assert.deepEqual([...rejected.keys()].sort(), [name.eventId, forgedJoin.eventId, topic.eventId].sort());
      assert.match(rejected.get(topic.eventId) ?? '', /rejected/);
      assert.equal(accepted.length, events.length);
    });

    test('auth events may come from the store; one the store holds as rejected fails the event', async () => {
      const { room, events } = buildRoom(version);
      const create = events[0] as RoomEvent;
      const rest = events.slice(1);
      const ok = await checkOutlierBatch(store([create]), version, room.roomId, rest);
      assert.equal(ok.rejected.size, 0);
      assert.equal(ok.accepted.length, rest.length);
      const plIndex = rest.findIndex((e) => e.pdu.type === 'm.room.power_levels');
      const pl = rest[plIndex] as RoomEvent;
      const withoutPl = rest.filter((e) => e !== pl);
      const bad = await checkOutlierBatch(store([create, pl], new Set([pl.eventId])), version, room.roomId, withoutPl);
      // Everything listing the rejected power levels fails (the join rules and bob's join do).
      assert.ok(bad.rejected.size >= 2, JSON.stringify([...bad.rejected]));
      for (const reason of bad.rejected.values()) assert.match(reason, /rejected/);
    });

    test('events whose auth events form a cycle fail', async () => {
      const { room, events } = buildRoom(version);
      const a = withAuth(room, room.event({ type: 'm.room.topic', sender: ALICE, state_key: '', content: { topic: 'a' } }));
      const b = withAuth(room, room.event({ type: 'm.room.name', sender: ALICE, state_key: '', content: { name: 'b' } }));
      const ref = (e: RoomEvent) => (version.eventRefsArePairs ? [e.eventId, { sha256: 'x' }] : e.eventId) as RoomEvent['pdu']['auth_events'][number];
      a.pdu.auth_events = [...a.pdu.auth_events, ref(b)];
      b.pdu.auth_events = [...b.pdu.auth_events, ref(a)];
      const { rejected } = await checkOutlierBatch(store(), version, room.roomId, [...events, a, b]);
      assert.equal(rejected.get(a.eventId), 'auth events form a cycle');
      assert.equal(rejected.get(b.eventId), 'auth events form a cycle');
    });
  });
}
