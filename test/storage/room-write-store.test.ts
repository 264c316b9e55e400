import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventToPersist } from '../../src/storage/interfaces/index.js';
import type { KnexStorage } from '../../src/storage/knex/index.js';
import { KnexRoomStore } from '../../src/storage/knex/room-store.js';
import { MAX_DELTA_DEPTH } from '../../src/storage/knex/room-write-state-groups.js';
import type { Pdu, StateKey } from '../../src/types/pdu.js';
import { handMadePdu, sk } from '../helpers/hand-made-pdus.js';
import { describeStorage } from '../helpers/storage.js';

// The write half of the room store on both engines, with hand-made PDUs (the room service tests cover
// real, signed events).

const ROOM = '!room:test.example.org';

const pdu = (type: string, prev: string[], extra: Partial<Pdu> = {}): Pdu => handMadePdu(ROOM, type, prev, extra);

interface Chain {
  storage: KnexStorage;
  state: Map<StateKey, string>;
  last: string | null;
  ordering: number;
  add(id: string, p: Pdu, opts?: Partial<EventToPersist>, newState?: Map<StateKey, string>): Promise<void>;
}

function chain(storage: KnexStorage): Chain {
  const c: Chain = {
    storage,
    state: new Map(),
    last: null,
    ordering: 0,
    async add(id, p, opts = {}, newState) {
      const before = new Map(c.state);
      if (typeof p.state_key === 'string' && opts.rejectedReason == null) c.state.set(sk(p.type, p.state_key), id);
      if (newState) c.state = newState;
      c.ordering += 1;
      await storage.rooms.persistEvents({
        roomId: ROOM,
        events: [{ eventId: id, pdu: p, roomId: ROOM, depth: c.ordering, outlier: false, softFailed: false, rejectedReason: null, stateBefore: before, streamOrdering: c.ordering, ...opts }],
        newForwardExtremities: [id],
        newCurrentState: c.state,
        ...(c.ordering === 1 ? { room: { roomId: ROOM, roomVersion: '10', creator: '@alice:test.example.org', isPublic: false, createdTs: 1 } } : {}),
      });
      c.last = id;
    },
  };
  return c;
}

describeStorage('room write store', (ctx) => {
  test('state groups: deltas chain up to the cap, then a snapshot; every event resolves to its state', async () => {
    const storage = await ctx.open();
    const c = chain(storage);
    await c.add('$create', pdu('m.room.create', [], { state_key: '' }));
    const expectedAfter = new Map<string, Map<StateKey, string>>();
    for (let i = 0; i < MAX_DELTA_DEPTH + 15; i++) {
      const id = `$s${i}`;
      await c.add(id, pdu('m.room.topic', [c.last!], { state_key: i % 2 === 0 ? '' : `k${i}`, content: { topic: String(i) } }));
      expectedAfter.set(id, new Map(c.state));
      // a message in between reuses the group
      await c.add(`$m${i}`, pdu('m.room.message', [c.last!]));
    }
    const depth: Array<{ d: unknown }> = await storage.knex('state_groups').select({ d: 'delta_depth' });
    const depths = depth.map((r) => Number(r.d));
    assert.ok(Math.max(...depths) <= MAX_DELTA_DEPTH);
    assert.ok(depths.filter((d) => d === 0).length >= 2, 'a new snapshot after the cap');
    // messages share their state group with the event before them: groups grow with state changes only
    assert.ok(depths.length <= MAX_DELTA_DEPTH + 15 + 2);
    for (const [id, expected] of expectedAfter) {
      assert.deepEqual(await storage.rooms.getStateIdsAfterEvent(id), expected, id);
    }
    assert.deepEqual(await storage.rooms.getCurrentStateIds(ROOM), c.state);
    assert.deepEqual(await storage.rooms.getForwardExtremities(ROOM), [c.last]);
    const row = await storage.rooms.getEvent('$s2');
    assert.equal(row?.replacesState, '$s0');
  });

  test('a state map handed over again is known by identity on the same group, and compared in full on another', async () => {
    const storage = await ctx.open();
    let ordering = 0;
    let last: string | null = null;
    const add = async (id: string, p: Pdu, stateBefore: ReadonlyMap<StateKey, string>, stateAfter: ReadonlyMap<StateKey, string>) => {
      ordering += 1;
      await storage.rooms.persistEvents({
        roomId: ROOM,
        events: [{ eventId: id, pdu: p, roomId: ROOM, depth: ordering, outlier: false, softFailed: false, rejectedReason: null, stateBefore, streamOrdering: ordering }],
        newForwardExtremities: [id],
        newCurrentState: stateAfter,
        ...(ordering === 1 ? { room: { roomId: ROOM, roomVersion: '10', creator: '@alice:test.example.org', isPublic: false, createdTs: 1 } } : {}),
      });
      last = id;
    };
    const afterCreate = new Map<StateKey, string>([[sk('m.room.create', ''), '$create']]);
    await add('$create', pdu('m.room.create', [], { state_key: '' }), new Map(), afterCreate);
    // Messages on one map, as a kept room draft hands it over: one group for all of them.
    await add('$m1', pdu('m.room.message', [last!]), afterCreate, afterCreate);
    await add('$m2', pdu('m.room.message', [last!]), afterCreate, afterCreate);
    const afterTopic = new Map(afterCreate).set(sk('m.room.topic', ''), '$topic');
    await add('$topic', pdu('m.room.topic', [last!], { state_key: '', content: { topic: 'x' } }), afterCreate, afterTopic);
    await add('$m3', pdu('m.room.message', [last!]), afterTopic, afterTopic);
    await add('$m4', pdu('m.room.message', [last!]), afterTopic, afterTopic);
    // The first map again, on the topic's group: not the state it became before, so compared, and a new group.
    await add('$m5', pdu('m.room.message', [last!]), afterCreate, afterCreate);
    const before = async (id: string) => storage.rooms.getStateIdsBeforeEvent(id);
    assert.deepEqual(await before('$m2'), afterCreate);
    assert.deepEqual(await before('$m4'), afterTopic);
    assert.deepEqual(await before('$m5'), afterCreate);
    const groups = async (id: string) => (await storage.knex('event_state').where({ event_id: id }).first()) as { state_group_before: unknown };
    assert.equal(Number((await groups('$m1')).state_group_before), Number((await groups('$m2')).state_group_before));
    assert.equal(Number((await groups('$m3')).state_group_before), Number((await groups('$m4')).state_group_before));
    assert.notEqual(Number((await groups('$m4')).state_group_before), Number((await groups('$m5')).state_group_before));
  });

  test('current state: memberships, removals in the delta stream, txn ids, redactions, forgotten rooms', async () => {
    const storage = await ctx.open();
    const c = chain(storage);
    const bob = '@bob:test.example.org';
    await c.add('$create', pdu('m.room.create', [], { state_key: '' }));
    await c.add('$join', pdu('m.room.member', ['$create'], { state_key: bob, content: { membership: 'join', displayname: 'Bob' } }));
    await storage.rooms.forgetRoom(bob, ROOM);
    assert.equal(await storage.rooms.isRoomForgotten(bob, ROOM), true);
    await c.add('$msg', pdu('m.room.message', ['$join']), { txn: { userId: bob, deviceId: 'D', txnId: 't1' } });
    assert.equal(await storage.rooms.getTxnEvent(bob, 'D', 't1'), '$msg');
    await c.add('$red', pdu('m.room.redaction', ['$msg'], { redacts: '$msg' }), { redactionApplies: true });
    assert.equal((await storage.rooms.getEvent('$msg'))?.redactedBy, '$red');

    const members = await storage.rooms.getRoomMembers(ROOM);
    assert.deepEqual(members.map((m) => [m.userId, m.membership, m.eventId]), [[bob, 'join', '$join']]);
    // a rejoin (invite/join/knock) clears the forgotten mark; here an invite after a leave
    await c.add('$leave', pdu('m.room.member', ['$red'], { state_key: bob, content: { membership: 'leave' } }));
    await c.add('$inv', pdu('m.room.member', ['$leave'], { state_key: bob, content: { membership: 'invite' } }));
    assert.equal(await storage.rooms.isRoomForgotten(bob, ROOM), false);

    // state resolution may drop a key: current_state, memberships and the delta stream follow
    const without = new Map(c.state);
    without.delete(sk('m.room.member', bob));
    await c.add('$x', pdu('m.room.message', ['$inv']), {}, without);
    assert.deepEqual(await storage.rooms.getRoomMembers(ROOM), []);
    const deltas = await storage.rooms.getCurrentStateDeltas([ROOM], 0, c.ordering);
    const last = deltas.at(-1);
    assert.equal(last?.stateKey, bob);
    assert.equal(last?.eventId, null);
    assert.deepEqual(deltas.map((d) => d.eventId), ['$create', '$join', '$leave', '$inv', null]);
  });

  test("reads served from what the writes keep (a user's rooms, membership changes, an event's state) follow every commit", async () => {
    const storage = await ctx.open();
    const c = chain(storage);
    const bob = '@bob:test.example.org';
    const rooms = async () => (await storage.rooms.getRoomsForUser(bob)).map((m) => [m.roomId, m.membership]);
    const joined = async (store = storage.rooms) => (await store.getRoomMembers(ROOM, ['join'])).map((m) => [m.userId, m.eventId]);
    await c.add('$create', pdu('m.room.create', [], { state_key: '' }));
    assert.deepEqual(await rooms(), []);
    assert.deepEqual(await storage.rooms.getJoinedServers(ROOM), []);
    assert.deepEqual(await joined(), []);
    const beforeJoin = c.ordering;
    await c.add('$join', pdu('m.room.member', ['$create'], { state_key: bob, content: { membership: 'join' } }));
    assert.deepEqual(await rooms(), [[ROOM, 'join']]);
    assert.deepEqual(await storage.rooms.getJoinedServers(ROOM), ['test.example.org']);
    assert.deepEqual(await joined(), [[bob, '$join']]);
    // A caller may change what it was handed without changing what the next caller reads.
    (await storage.rooms.getRoomMembers(ROOM, ['join'])).pop();
    assert.deepEqual(await joined(), [[bob, '$join']]);
    assert.deepEqual((await storage.rooms.getRoomsForUser(bob, ['invite'])).length, 0);
    assert.deepEqual((await storage.rooms.getMembershipChangesForUser(bob, beforeJoin, c.ordering)).map((m) => m.eventId), ['$join']);
    await c.add('$msg', pdu('m.room.message', ['$join']));
    assert.deepEqual(await storage.rooms.getMembershipChangesForUser(bob, c.ordering - 1, c.ordering), []);
    assert.deepEqual(await storage.rooms.getStateIdsBeforeEvent('$msg'), c.state);
    // State resolution drops bob's membership without a member event of its own.
    const without = new Map(c.state);
    without.delete(sk('m.room.member', bob));
    await c.add('$x', pdu('m.room.message', ['$msg']), {}, without);
    assert.deepEqual(await rooms(), []);
    assert.deepEqual(await storage.rooms.getJoinedServers(ROOM), []);
    assert.deepEqual(await joined(), []);
    // A partial-state record comes with the commit that writes it, and goes with the one completing the state.
    assert.equal(await storage.rooms.getPartialStateRoom(ROOM), undefined);
    c.ordering += 1;
    const partial = { roomId: ROOM, joinEventId: '$join', joinedVia: 'other.example.org', servers: ['other.example.org'] };
    await storage.rooms.persistEvents({
      roomId: ROOM,
      events: [{ eventId: '$p', pdu: pdu('m.room.message', ['$x']), roomId: ROOM, depth: c.ordering, outlier: false, softFailed: false, rejectedReason: null, stateBefore: new Map(c.state), streamOrdering: c.ordering }],
      newForwardExtremities: ['$p'],
      newCurrentState: null,
      partialState: partial,
    });
    c.last = '$p';
    assert.deepEqual(await storage.rooms.getPartialStateRoom(ROOM), partial);
    // The full state, with bob's join again: a membership changed without a timeline event.
    await storage.rooms.completePartialState({ roomId: ROOM, events: [], eventStates: [], newCurrentState: new Map([...c.state, [sk('m.room.member', bob), '$join']]) });
    assert.equal(await storage.rooms.getPartialStateRoom(ROOM), undefined);
    assert.deepEqual(await joined(), [[bob, '$join']]);
    assert.deepEqual(await rooms(), [[ROOM, 'join']]);
    await c.add('$leave', pdu('m.room.member', ['$p'], { state_key: bob, content: { membership: 'leave' } }));
    assert.deepEqual(await rooms(), [[ROOM, 'leave']]);
    assert.deepEqual((await storage.rooms.getMembershipChangesForUser(bob, c.ordering - 1, c.ordering)).map((m) => m.eventId), ['$leave']);
    // Another store on the same database (a restarted process) reads the same from the tables.
    const fresh = new KnexRoomStore(storage.knex, storage.dialect);
    assert.deepEqual((await fresh.getRoomsForUser(bob)).map((m) => [m.roomId, m.membership]), [[ROOM, 'leave']]);
    assert.deepEqual((await fresh.getMembershipChangesForUser(bob, beforeJoin, c.ordering)).map((m) => m.eventId), ['$join', '$leave']);
    assert.deepEqual(await fresh.getStateIdsBeforeEvent('$msg'), await storage.rooms.getStateIdsBeforeEvent('$msg'));
    assert.deepEqual(await fresh.getJoinedServers(ROOM), []);
    assert.deepEqual(await joined(fresh), []);
    assert.deepEqual(await joined(), []);
    assert.equal(await fresh.getPartialStateRoom(ROOM), undefined);
  });

  test('a soft-failed membership is stored but enters neither the membership history nor the member list', async () => {
    const storage = await ctx.open();
    const c = chain(storage);
    const bob = '@bob:test.example.org';
    await c.add('$create', pdu('m.room.create', [], { state_key: '' }));
    await c.add('$join', pdu('m.room.member', ['$create'], { state_key: bob, content: { membership: 'join' } }));
    const live = new Map(c.state);
    // A kick that failed against the current state: kept, with the room's state and extremities unchanged.
    c.ordering += 1;
    await storage.rooms.persistEvents({
      roomId: ROOM,
      events: [{
        eventId: '$softkick', pdu: pdu('m.room.member', ['$create'], { state_key: bob, content: { membership: 'leave' } }), roomId: ROOM,
        depth: 2, outlier: false, softFailed: true, rejectedReason: null, stateBefore: live, streamOrdering: c.ordering,
      }],
      newForwardExtremities: null,
      newCurrentState: null,
    });
    assert.equal((await storage.rooms.getEvent('$softkick'))?.softFailed, true);
    const history = await storage.rooms.getMembershipChangesForUser(bob, 0, c.ordering);
    assert.deepEqual(history.map((m) => m.eventId), ['$join']);
    assert.equal((await storage.rooms.getMembershipAt(ROOM, bob, c.ordering))?.membership, 'join');
    assert.deepEqual((await storage.rooms.getRoomMembers(ROOM)).map((m) => [m.userId, m.membership]), [[bob, 'join']]);
    assert.deepEqual(await storage.rooms.getForwardExtremities(ROOM), ['$join']);
  });

  test('history: an outlier promoted into the timeline keeps one row, takes its new ordering and gets its state; backward extremities follow', async () => {
    const storage = await ctx.open();
    const c = chain(storage);
    await c.add('$create', pdu('m.room.create', [], { state_key: '' }));
    // A late join: its prev event is unknown (a backward extremity); the member event is held as an outlier.
    await c.add('$join', pdu('m.room.member', ['$gap'], { state_key: '@bob:test.example.org', content: { membership: 'join' } }));
    const member = pdu('m.room.member', ['$create'], { state_key: '@carol:test.example.org', content: { membership: 'join' } });
    await storage.rooms.persistEvents({
      roomId: ROOM,
      events: [{ eventId: '$carol', pdu: member, roomId: ROOM, depth: 2, outlier: true, softFailed: false, rejectedReason: null, stateBefore: null, streamOrdering: -1 }],
      newForwardExtremities: null,
      newCurrentState: null,
    });
    assert.deepEqual(await storage.rooms.getBackwardExtremities(ROOM), ['$gap']);
    assert.equal(await storage.rooms.getMinStreamOrdering(), -1);
    // Backfill reaches it: the missing event and the outlier become timeline events below everything.
    const before = new Map([[sk('m.room.create', ''), '$create']]);
    await storage.rooms.persistEvents({
      roomId: ROOM,
      events: [
        { eventId: '$gap', pdu: pdu('m.room.message', ['$carol']), roomId: ROOM, depth: 3, outlier: false, softFailed: false, rejectedReason: null, stateBefore: new Map([...before, [sk('m.room.member', '@carol:test.example.org'), '$carol']]), streamOrdering: -2 },
        { eventId: '$carol', pdu: member, roomId: ROOM, depth: 2, outlier: false, softFailed: false, rejectedReason: null, stateBefore: before, streamOrdering: -3 },
      ],
      newForwardExtremities: null,
      newCurrentState: null,
    });
    const carol = await storage.rooms.getEvent('$carol');
    assert.equal(carol?.outlier, false);
    assert.equal(carol?.streamOrdering, -3);
    assert.deepEqual(await storage.rooms.getStateIdsAfterEvent('$carol'), new Map([...before, [sk('m.room.member', '@carol:test.example.org'), '$carol']]));
    assert.deepEqual(await storage.rooms.getBackwardExtremities(ROOM), []);
    assert.equal(await storage.rooms.getMinStreamOrdering(), -3);
    const page = await storage.rooms.getRoomEventsInRange(ROOM, Number.MIN_SAFE_INTEGER, 100, 'b', 10);
    assert.deepEqual(page.map((e) => e.eventId), ['$join', '$create', '$gap', '$carol']);
    const rows: Array<{ so: unknown }> = await storage.knex('room_memberships').select({ so: 'stream_ordering' }).where('event_id', '$carol');
    assert.deepEqual(rows.map((r) => Number(r.so)), [-3]);
    // Current state and the forward extremity are untouched by history.
    assert.deepEqual(await storage.rooms.getForwardExtremities(ROOM), ['$join']);
    assert.equal((await storage.rooms.getCurrentStateIds(ROOM)).has(sk('m.room.member', '@carol:test.example.org')), false);
  });

  test('a group of batches writes its events, event_state, txn ids and tips in one INSERT per table (one statement on PostgreSQL), all readable after', async () => {
    const storage = await ctx.open();
    const c = chain(storage);
    await c.add('$create', pdu('m.room.create', [], { state_key: '' }));
    const alice = '@alice:test.example.org';
    const ids = ['$g1', '$g2', '$g3'];
    const batches = ids.map((id, i) => ({
      roomId: ROOM,
      events: [
        {
          eventId: id,
          pdu: pdu('m.room.message', [i === 0 ? '$create' : (ids[i - 1] as string)], { auth_events: ['$create'] }),
          roomId: ROOM,
          depth: 2 + i,
          outlier: false,
          softFailed: false,
          rejectedReason: null,
          stateBefore: new Map(c.state),
          streamOrdering: 2 + i,
          txn: { userId: alice, deviceId: 'D', txnId: `t${i}` },
        },
      ],
      newForwardExtremities: [id],
      newCurrentState: null,
    }));
    const inserts = new Map<string, number>();
    const tables = ['events', 'event_state', 'event_txn_ids', 'forward_extremities'];
    let statements = 0;
    const count = (q: { sql: string }) => {
      // On PostgreSQL the batch's writes are one statement of WITH queries (write-batch.ts).
      const into = [...q.sql.matchAll(/insert into [`"](\w+)[`"]/gi)].map((m) => m[1] as string);
      for (const table of into) inserts.set(table, (inserts.get(table) ?? 0) + 1);
      if (into.some((t) => tables.includes(t))) statements++;
    };
    storage.knex.on('query', count);
    try {
      await storage.rooms.persistEventBatches(batches);
    } finally {
      storage.knex.off('query', count);
    }
    for (const table of tables) assert.equal(inserts.get(table), 1, table);
    assert.equal(statements, storage.dialect.engine === 'postgres' ? 1 : tables.length, 'statements writing those tables');
    for (const [i, id] of ids.entries()) {
      assert.equal(await storage.rooms.getTxnEvent(alice, 'D', `t${i}`), id);
      assert.deepEqual(await storage.rooms.getStateIdsAfterEvent(id), c.state);
    }
    // Prev and auth events are read back from the events themselves (no edge tables since migration 0026).
    const stored = await Promise.all(ids.map((id) => storage.rooms.getEvent(id)));
    assert.deepEqual(stored.map((e) => [e?.eventId, e?.pdu.prev_events, e?.pdu.auth_events]), [
      ['$g1', ['$create'], ['$create']],
      ['$g2', ['$g1'], ['$create']],
      ['$g3', ['$g2'], ['$create']],
    ]);
    assert.deepEqual(await storage.rooms.getForwardExtremities(ROOM), ['$g3']);
  });

  test('in one transaction, a redaction finds its target and a received event its prev events, though both were just written', async () => {
    const storage = await ctx.open();
    const c = chain(storage);
    await c.add('$create', pdu('m.room.create', [], { state_key: '' }));
    const state = new Map(c.state);
    const ev = (id: string, p: Pdu, ordering: number, extra: Partial<EventToPersist> = {}) => ({
      eventId: id,
      pdu: p,
      roomId: ROOM,
      depth: ordering,
      outlier: false,
      softFailed: false,
      rejectedReason: null,
      stateBefore: state,
      streamOrdering: ordering,
      ...extra,
    });
    // Built here: a message and its redaction in one group commit.
    await storage.rooms.persistEventBatches([
      { roomId: ROOM, events: [ev('$said', pdu('m.room.message', ['$create']), 2, { builtHere: true })], newForwardExtremities: ['$said'], newCurrentState: null },
      {
        roomId: ROOM,
        events: [ev('$unsaid', pdu('m.room.redaction', ['$said'], { redacts: '$said' }), 3, { builtHere: true, redactionApplies: true })],
        newForwardExtremities: ['$unsaid'],
        newCurrentState: null,
      },
    ]);
    assert.equal((await storage.rooms.getEvent('$said'))?.redactedBy, '$unsaid');
    // Received: the second event's prev is the first, which has no state of its own recorded (stateBefore
    // null), so only the events table says we hold it.
    await storage.rooms.persistEvents({
      roomId: ROOM,
      events: [ev('$r1', pdu('m.room.message', ['$unsaid']), 4, { stateBefore: null }), ev('$r2', pdu('m.room.message', ['$r1']), 5)],
      newForwardExtremities: ['$r2'],
      newCurrentState: null,
    });
    assert.deepEqual(await storage.rooms.getBackwardExtremities(ROOM), []);
    assert.deepEqual(await storage.rooms.getForwardExtremities(ROOM), ['$r2']);
  });

  test('a failing batch rolls back entirely', async () => {
    const storage = await ctx.open();
    const c = chain(storage);
    await c.add('$create', pdu('m.room.create', [], { state_key: '' }));
    const before = await storage.rooms.getCurrentStateIds(ROOM);
    const ev = (id: string, ordering: number) => ({
      eventId: id,
      pdu: pdu('m.room.name', ['$create'], { state_key: '' }),
      roomId: ROOM,
      depth: 2,
      outlier: false,
      softFailed: false,
      rejectedReason: null,
      stateBefore: before,
      streamOrdering: ordering,
    });
    // the second event reuses a stream ordering: the unique index fails the transaction
    await assert.rejects(
      storage.rooms.persistEvents({ roomId: ROOM, events: [ev('$a', 10), ev('$b', 10)], newForwardExtremities: ['$b'], newCurrentState: new Map([...before, [sk('m.room.name', ''), '$b']]) }),
    );
    assert.equal(await storage.rooms.getEvent('$a'), undefined);
    assert.deepEqual(await storage.rooms.getCurrentStateIds(ROOM), before);
    assert.deepEqual(await storage.rooms.getForwardExtremities(ROOM), ['$create']);
    // and the store keeps working afterwards
    await c.add('$next', pdu('m.room.name', ['$create'], { state_key: '' }));
    assert.equal((await storage.rooms.getStateIdsAfterEvent('$next'))?.get(sk('m.room.name', '')), '$next');
  });

  test('a commit that only adds rows goes out without a knex transaction (one statement on PostgreSQL, one synchronous run on SQLite); one that must run a statement first gets a transaction', async () => {
    const storage = await ctx.open();
    const c = chain(storage);
    await c.add('$create', pdu('m.room.create', [], { state_key: '' }));
    const message = (id: string, prev: string, ordering: number) => ({
      roomId: ROOM,
      events: [
        {
          eventId: id,
          pdu: pdu('m.room.message', [prev]),
          roomId: ROOM,
          depth: ordering,
          outlier: false,
          softFailed: false,
          rejectedReason: null,
          stateBefore: new Map(c.state),
          streamOrdering: ordering,
          builtHere: true,
        },
      ],
      newForwardExtremities: [id],
      newCurrentState: null,
    });
    const seen: string[] = [];
    const on = (q: { sql: string }) => seen.push(q.sql.trim().replace(/;$/, '').split(/\s+/)[0]?.toUpperCase() ?? '');
    const statementsOf = async (fn: () => Promise<unknown>) => {
      seen.length = 0;
      storage.knex.on('query', on);
      try {
        await fn();
      } finally {
        storage.knex.off('query', on);
      }
      return [...seen];
    };
    const pg = storage.dialect.engine === 'postgres';
    // Which commits went out without a knex transaction.
    const asOne: boolean[] = [];
    const runAsOne = storage.dialect.runWritesAsOne.bind(storage.dialect);
    storage.dialect.runWritesAsOne = async (db, statements) => {
      const ran = await runAsOne(db, statements);
      asOne.push(ran);
      return ran;
    };
    const messages = await statementsOf(() => storage.rooms.persistEventBatches([message('$m1', '$create', 2), message('$m2', '$m1', 3)]));
    assert.deepEqual(asOne, [true]);
    // SQLite has no round trips to save: one transaction, run without yielding (dialect-writes.ts, runInOneGo).
    if (pg) assert.deepEqual(messages, ['WITH']);
    else assert.deepEqual([messages[0], messages.at(-1)], ['BEGIN', 'COMMIT']);
    assert.deepEqual(await storage.rooms.getForwardExtremities(ROOM), ['$m2']);
    assert.deepEqual(await storage.rooms.getStateIdsAfterEvent('$m2'), c.state);
    c.ordering = 3;
    c.last = '$m2';
    // A state event reads the current state first: a transaction on both engines.
    const state = await statementsOf(() => c.add('$topic', pdu('m.room.topic', ['$m2'], { state_key: '', content: { topic: 't' } })));
    assert.deepEqual(asOne, [true], 'no statement collected for the state event was run without a transaction');
    assert.equal(state[0], 'BEGIN');
    assert.equal(state.at(-1), 'COMMIT');
    assert.equal((await storage.rooms.getCurrentStateIds(ROOM)).get(sk('m.room.topic', '')), '$topic');
    // A failing one-statement commit writes nothing, and the store goes on.
    await assert.rejects(storage.rooms.persistEventBatches([message('$dup1', '$topic', 5), message('$dup2', '$dup1', 5)]));
    assert.equal(await storage.rooms.getEvent('$dup1'), undefined);
    assert.deepEqual(await storage.rooms.getForwardExtremities(ROOM), ['$topic']);
    await storage.rooms.persistEventBatches([message('$m3', '$topic', 6)]);
    assert.deepEqual(await storage.rooms.getForwardExtremities(ROOM), ['$m3']);
  });

  test('aliases: create, duplicate, move, delete; public flag', async () => {
    const storage = await ctx.open();
    const c = chain(storage);
    await c.add('$create', pdu('m.room.create', [], { state_key: '' }));
    assert.equal(await storage.rooms.createAlias('#a:test.example.org', ROOM, '@alice:test.example.org', ['test.example.org']), true);
    assert.equal(await storage.rooms.createAlias('#a:test.example.org', '!other:x', '@alice:test.example.org', []), false);
    assert.deepEqual(await storage.rooms.moveAliases(ROOM, '!new:test.example.org'), ['#a:test.example.org']);
    assert.equal((await storage.rooms.getRoomIdForAlias('#a:test.example.org'))?.roomId, '!new:test.example.org');
    assert.equal(await storage.rooms.deleteAlias('#a:test.example.org'), true);
    assert.equal(await storage.rooms.deleteAlias('#a:test.example.org'), false);
    await storage.rooms.setRoomPublic(ROOM, true);
    assert.equal((await storage.rooms.getRoom(ROOM))?.isPublic, true);
    assert.deepEqual(await storage.rooms.getPublicRoomIds(), [ROOM]);
  });
});
