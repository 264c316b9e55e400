import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { describeStorage } from '../helpers/storage.js';
import { KnexRoomReadStore } from '../../src/storage/knex/room-read-store.js';
import type { KnexStorage } from '../../src/storage/knex/index.js';

// The read half of the room store against rows inserted directly (the writer is tested separately).

const ROOM = '!room:example.org';
const OTHER = '!other:example.org';
const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';

interface EventSpec {
  id: string;
  room?: string;
  so: number;
  type?: string;
  stateKey?: string;
  sender?: string;
  content?: Record<string, unknown>;
  ts?: number;
  outlier?: boolean;
  softFailed?: boolean;
  rejected?: string;
  replacesState?: string;
  redactedBy?: string;
}

async function insertEvent(knex: Knex, e: EventSpec): Promise<void> {
  const room = e.room ?? ROOM;
  const pdu = {
    room_id: room,
    sender: e.sender ?? ALICE,
    type: e.type ?? 'm.room.message',
    ...(e.stateKey !== undefined ? { state_key: e.stateKey } : {}),
    content: e.content ?? { body: e.id },
    origin_server_ts: e.ts ?? 1000 + e.so,
    prev_events: [],
    auth_events: [],
    depth: Math.abs(e.so),
    hashes: { sha256: 'x' },
    signatures: {},
  };
  await knex('events').insert({
    event_id: e.id,
    room_id: room,
    stream_ordering: e.so,
    depth: Math.abs(e.so),
    type: pdu.type,
    state_key: e.stateKey ?? null,
    sender: pdu.sender,
    origin_server_ts: pdu.origin_server_ts,
    json: JSON.stringify(pdu),
    outlier: e.outlier ?? false,
    soft_failed: e.softFailed ?? false,
    rejected_reason: e.rejected ?? null,
    replaces_state: e.replacesState ?? null,
    redacted_by: e.redactedBy ?? null,
    received_ts: 5000 + e.so,
  });
}

async function insertGroup(
  knex: Knex,
  id: number,
  prev: number | null,
  entries: Array<[type: string, key: string, eventId: string | null]>,
): Promise<void> {
  await knex('state_groups').insert({ id, room_id: ROOM, prev_group: prev, delta_depth: 0 });
  if (entries.length > 0) {
    await knex('state_group_entries').insert(entries.map(([type, state_key, event_id]) => ({ state_group: id, type, state_key, event_id })));
  }
}

/** Five groups: a snapshot (1), a delta on it (2), a removal and an addition on 2 (3), a member on 3 (4), a branch off 2 (5). */
async function insertGroupChain(knex: Knex): Promise<void> {
  await insertGroup(knex, 1, null, [
    ['m.room.create', '', '$create'],
    ['m.room.member', ALICE, '$join'],
    ['m.room.name', '', '$name1'],
  ]);
  await insertGroup(knex, 2, 1, [['m.room.name', '', '$name2']]);
  await insertGroup(knex, 3, 2, [
    ['m.room.name', '', null],
    ['m.room.topic', '', '$topic'],
  ]);
  await insertGroup(knex, 4, 3, [['m.room.member', BOB, '$bob']]);
  await insertGroup(knex, 5, 2, [['m.room.member', ALICE, '$leave']]);
}

function store(s: KnexStorage): KnexRoomReadStore {
  return new KnexRoomReadStore(s.knex, s.dialect);
}

const K = (type: string, key: string) => `${type}\u0000${key}`;

describeStorage('room read store', (h) => {
  test('getEvent and getEvents return the stored PDU and flags; unknown ids are absent', async () => {
    const s = await h.open();
    await insertEvent(s.knex, { id: '$a', so: 1, replacesState: '$z', redactedBy: '$r' });
    await insertEvent(s.knex, { id: '$b', so: 2, outlier: true, softFailed: true, rejected: 'auth' });
    const r = store(s);
    const a = await r.getEvent('$a');
    assert.ok(a);
    assert.equal(a.streamOrdering, 1);
    assert.equal(a.pdu.content.body, '$a');
    assert.equal(a.replacesState, '$z');
    assert.equal(a.redactedBy, '$r');
    assert.equal(a.outlier, false);
    assert.equal(a.receivedTs, 5001);
    assert.equal(await r.getEvent('$missing'), undefined);
    const many = await r.getEvents(['$a', '$b', '$missing', '$a']);
    assert.deepEqual([...many.keys()].sort(), ['$a', '$b']);
    const b = many.get('$b');
    assert.equal(b?.outlier, true);
    assert.equal(b?.softFailed, true);
    assert.equal(b?.rejectedReason, 'auth');
  });

  test('getEvents splits large id lists into several statements', async () => {
    const s = await h.open();
    const ids: string[] = [];
    for (let i = 1; i <= 40; i++) {
      await insertEvent(s.knex, { id: `$e${i}`, so: i });
      ids.push(`$e${i}`);
    }
    const r = new KnexRoomReadStore(s.knex, { ...s.dialect, maxBindParams: 107 });
    const got = await r.getEvents([...ids, ...Array.from({ length: 30 }, (_, i) => `$none${i}`)]);
    assert.equal(got.size, 40);
  });

  test('getStreamOrderings: the orderings of stored events; asked together (woken syncs), one statement', async () => {
    const s = await h.open();
    await insertEvent(s.knex, { id: '$a', so: 3 });
    await insertEvent(s.knex, { id: '$b', so: 7, room: OTHER });
    await insertEvent(s.knex, { id: '$old', so: -2, outlier: true });
    let statements = 0;
    const count = () => statements++;
    s.knex.on('query', count);
    const answers = await Promise.all([s.rooms.getStreamOrderings(['$a']), s.rooms.getStreamOrderings(['$b', '$nope']), s.rooms.getStreamOrderings(['$old', '$a'])]);
    s.knex.removeListener('query', count);
    assert.deepEqual(answers.map((m) => [...m].sort()), [[['$a', 3]], [['$b', 7]], [['$a', 3], ['$old', -2]]]);
    assert.equal(statements, 1);
    assert.deepEqual(await s.rooms.getStreamOrderings([]), new Map());
  });

  test('getMaxStreamOrdering is 0 when empty and ignores negative (backfilled) orderings', async () => {
    const s = await h.open();
    const r = store(s);
    assert.equal(await r.getMaxStreamOrdering(), 0);
    await insertEvent(s.knex, { id: '$old', so: -5 });
    assert.equal(await r.getMaxStreamOrdering(), 0);
    await insertEvent(s.knex, { id: '$a', so: 7 });
    assert.equal(await r.getMaxStreamOrdering(), 7);
  });

  test('state groups: deltas over a snapshot, removals, and chains resolved through the cache', async () => {
    const s = await h.open();
    await insertGroupChain(s.knex);
    for (const [id, before, after] of [
      ['$e1', 1, 2],
      ['$e2', 2, 3],
      ['$e3', 3, 4],
      ['$e4', 2, 5],
    ] as const) {
      await s.knex('event_state').insert({ event_id: id, state_group_before: before, state_group_after: after });
    }
    const r = store(s);
    const after3 = await r.getStateIdsAfterEvent('$e3');
    assert.deepEqual(
      after3,
      new Map([
        [K('m.room.create', ''), '$create'],
        [K('m.room.member', ALICE), '$join'],
        [K('m.room.topic', ''), '$topic'],
        [K('m.room.member', BOB), '$bob'],
      ]),
    );
    // Changing a returned map must not change what later calls see (groups are cached).
    after3?.clear();
    assert.equal((await r.getStateIdsAfterEvent('$e3'))?.size, 4);
    assert.deepEqual(await r.getStateIdsBeforeEvent('$e2'), new Map([
      [K('m.room.create', ''), '$create'],
      [K('m.room.member', ALICE), '$join'],
      [K('m.room.name', ''), '$name2'],
    ]));
    assert.equal((await r.getStateIdsAfterEvent('$e4'))?.get(K('m.room.member', ALICE)), '$leave');
    assert.equal((await r.getStateIdsAfterEvent('$e4'))?.get(K('m.room.name', '')), '$name2');
    assert.equal(await r.getStateIdsBeforeEvent('$unknown'), undefined);
  });

  test('getStateIdsAtStreamOrdering uses the last timeline event at or before the position', async () => {
    const s = await h.open();
    await insertGroup(s.knex, 10, null, [['m.room.create', '', '$c']]);
    await insertGroup(s.knex, 11, 10, [['m.room.name', '', '$n']]);
    await insertGroup(s.knex, 12, 11, [['m.room.topic', '', '$t']]);
    await insertEvent(s.knex, { id: '$c', so: 1, type: 'm.room.create', stateKey: '' });
    await insertEvent(s.knex, { id: '$n', so: 2, type: 'm.room.name', stateKey: '' });
    await insertEvent(s.knex, { id: '$t', so: 4, type: 'm.room.topic', stateKey: '', softFailed: true });
    await insertEvent(s.knex, { id: '$other', room: OTHER, so: 3 });
    await s.knex('event_state').insert([
      { event_id: '$c', state_group_before: 10, state_group_after: 10 },
      { event_id: '$n', state_group_before: 10, state_group_after: 11 },
      { event_id: '$t', state_group_before: 11, state_group_after: 12 },
    ]);
    const r = store(s);
    assert.deepEqual(await r.getStateIdsAtStreamOrdering(ROOM, 0), new Map());
    assert.deepEqual([...(await r.getStateIdsAtStreamOrdering(ROOM, 1)).values()], ['$c']);
    assert.deepEqual([...(await r.getStateIdsAtStreamOrdering(ROOM, 3)).values()].sort(), ['$c', '$n']);
    // The soft-failed event never became part of the room's state.
    assert.deepEqual([...(await r.getStateIdsAtStreamOrdering(ROOM, 100)).values()].sort(), ['$c', '$n']);
  });

  test('current state: ids and one event by type and key', async () => {
    const s = await h.open();
    await insertEvent(s.knex, { id: '$name', so: 1, type: 'm.room.name', stateKey: '', content: { name: 'N' } });
    await s.knex('current_state').insert([
      { room_id: ROOM, type: 'm.room.name', state_key: '', event_id: '$name', membership: null },
      { room_id: ROOM, type: 'm.room.member', state_key: ALICE, event_id: '$m', membership: 'join' },
      { room_id: OTHER, type: 'm.room.name', state_key: '', event_id: '$x', membership: null },
    ]);
    const r = store(s);
    assert.deepEqual(await r.getCurrentStateIds(ROOM), new Map([
      [K('m.room.name', ''), '$name'],
      [K('m.room.member', ALICE), '$m'],
    ]));
    assert.equal((await r.getCurrentStateEvent(ROOM, 'm.room.name', ''))?.pdu.content.name, 'N');
    assert.equal(await r.getCurrentStateEvent(ROOM, 'm.room.topic', ''), undefined);
  });

  test('timeline ranges: bounds, both directions, limit, and hidden events', async () => {
    const s = await h.open();
    for (let i = 1; i <= 6; i++) await insertEvent(s.knex, { id: `$e${i}`, so: i });
    await insertEvent(s.knex, { id: '$out', so: 7, outlier: true });
    await insertEvent(s.knex, { id: '$soft', so: 8, softFailed: true });
    await insertEvent(s.knex, { id: '$rej', so: 9, rejected: 'bad' });
    await insertEvent(s.knex, { id: '$elsewhere', so: 10, room: OTHER });
    await insertEvent(s.knex, { id: '$back', so: -3 });
    const r = store(s);
    const ids = (evs: Array<{ eventId: string }>) => evs.map((e) => e.eventId);
    assert.deepEqual(ids(await r.getRoomEventsInRange(ROOM, 2, 5, 'f', 10)), ['$e3', '$e4', '$e5']);
    assert.deepEqual(ids(await r.getRoomEventsInRange(ROOM, 2, 5, 'b', 10)), ['$e5', '$e4', '$e3']);
    assert.deepEqual(ids(await r.getRoomEventsInRange(ROOM, 0, 100, 'b', 2)), ['$e6', '$e5']);
    assert.deepEqual(ids(await r.getRoomEventsInRange(ROOM, Number.MIN_SAFE_INTEGER, 1, 'b', 10)), ['$e1', '$back']);
    assert.deepEqual(await r.getRoomEventsInRange(ROOM, 5, 5, 'f', 10), []);
    assert.deepEqual(await r.getRoomsChangedSince([ROOM, OTHER, '!none:x'], 6, 100), new Set([OTHER]));
    assert.deepEqual(await r.getRoomsChangedSince([ROOM, OTHER], 0, 100), new Set([ROOM, OTHER]));
  });

  test('memberships: current rows, history ranges and membership at a position', async () => {
    const s = await h.open();
    await s.knex('room_memberships').insert([
      { event_id: '$a1', room_id: ROOM, user_id: ALICE, sender: ALICE, membership: 'join', stream_ordering: 1, display_name: 'Alice A.' },
      { event_id: '$b1', room_id: ROOM, user_id: BOB, sender: ALICE, membership: 'invite', stream_ordering: 2 },
      { event_id: '$b2', room_id: ROOM, user_id: BOB, sender: BOB, membership: 'join', stream_ordering: 4 },
      { event_id: '$b3', room_id: ROOM, user_id: BOB, sender: BOB, membership: 'leave', stream_ordering: 6 },
      { event_id: '$b4', room_id: OTHER, user_id: BOB, sender: BOB, membership: 'join', stream_ordering: 7 },
    ]);
    await s.knex('current_memberships').insert([
      { room_id: ROOM, user_id: ALICE, membership: 'join', event_id: '$a1', stream_ordering: 1 },
      { room_id: ROOM, user_id: BOB, membership: 'leave', event_id: '$b3', stream_ordering: 6 },
      { room_id: OTHER, user_id: BOB, membership: 'join', event_id: '$b4', stream_ordering: 7 },
    ]);
    const r = store(s);
    assert.deepEqual((await r.getRoomsForUser(BOB)).map((m) => [m.roomId, m.membership]), [
      [ROOM, 'leave'],
      [OTHER, 'join'],
    ]);
    assert.deepEqual((await r.getRoomsForUser(BOB, ['join'])).map((m) => m.roomId), [OTHER]);
    assert.deepEqual((await r.getRoomMembers(ROOM, ['join'])).map((m) => m.userId), [ALICE]);
    assert.equal((await r.getRoomMembers(ROOM)).length, 2);
    assert.deepEqual(await r.getJoinedMemberNames(ROOM), [{ userId: ALICE, displayName: 'Alice A.' }]);
    assert.deepEqual(await r.getJoinedMemberNames(OTHER), [{ userId: BOB, displayName: null }]);
    assert.deepEqual((await r.getMembershipChangesForUser(BOB, 2, 6)).map((m) => m.eventId), ['$b2', '$b3']);
    assert.deepEqual((await r.getMembershipHistoryInRoom(ROOM, BOB)).map((m) => m.eventId), ['$b1', '$b2', '$b3']);
    assert.deepEqual((await r.getMembershipHistoryInRoom(OTHER, BOB)).map((m) => m.eventId), ['$b4']);
    assert.deepEqual(await r.getMembershipHistoryInRoom(OTHER, ALICE), []);
    assert.equal(await r.getMembershipAt(ROOM, BOB, 1), undefined);
    assert.equal((await r.getMembershipAt(ROOM, BOB, 3))?.membership, 'invite');
    assert.equal((await r.getMembershipAt(ROOM, BOB, 5))?.membership, 'join');
    const last = await r.getMembershipAt(ROOM, BOB, 100);
    assert.deepEqual(last, { roomId: ROOM, userId: BOB, membership: 'leave', eventId: '$b3', streamOrdering: 6 });
  });

  test('getJoinedServers names each server of a joined member once, ports included, leavers not', async () => {
    const s = await h.open();
    await s.knex('current_memberships').insert([
      { room_id: ROOM, user_id: ALICE, membership: 'join', event_id: '$1', stream_ordering: 1 },
      { room_id: ROOM, user_id: BOB, membership: 'join', event_id: '$2', stream_ordering: 2 },
      { room_id: ROOM, user_id: '@carol:other.example:8448', membership: 'join', event_id: '$3', stream_ordering: 3 },
      { room_id: ROOM, user_id: '@dan:gone.example', membership: 'leave', event_id: '$4', stream_ordering: 4 },
      { room_id: OTHER, user_id: '@erin:elsewhere.example', membership: 'join', event_id: '$5', stream_ordering: 5 },
    ]);
    const r = store(s);
    assert.deepEqual((await r.getJoinedServers(ROOM)).sort(), ['example.org', 'other.example:8448']);
    assert.deepEqual(await r.getJoinedServers('!none:example.org'), []);
  });

  test('current state deltas come back in stream order for the asked rooms only', async () => {
    const s = await h.open();
    await s.knex('current_state_delta_stream').insert([
      { stream_ordering: 3, room_id: OTHER, type: 'm.room.name', state_key: '', event_id: '$o', prev_event_id: null },
      { stream_ordering: 2, room_id: ROOM, type: 'm.room.name', state_key: '', event_id: '$n', prev_event_id: null },
      { stream_ordering: 5, room_id: ROOM, type: 'm.room.topic', state_key: '', event_id: null, prev_event_id: '$t' },
      { stream_ordering: 9, room_id: '!x:y', type: 'm.room.name', state_key: '', event_id: '$x', prev_event_id: null },
    ]);
    const r = new KnexRoomReadStore(s.knex, { ...s.dialect, maxBindParams: 101 });
    assert.deepEqual(await r.getCurrentStateDeltas([ROOM, OTHER], 1, 5), [
      { streamOrdering: 2, roomId: ROOM, type: 'm.room.name', stateKey: '', eventId: '$n' },
      { streamOrdering: 3, roomId: OTHER, type: 'm.room.name', stateKey: '', eventId: '$o' },
      { streamOrdering: 5, roomId: ROOM, type: 'm.room.topic', stateKey: '', eventId: null },
    ]);
    assert.deepEqual(await r.getCurrentStateDeltas([ROOM], 5, 9), []);
    // The current-state mark is the room's highest delta ordering (what caches of derived data compare).
    assert.equal(await r.getCurrentStateMark(ROOM), 5);
    assert.equal(await r.getCurrentStateMark(OTHER), 3);
    assert.equal(await r.getCurrentStateMark('!none:x'), Number.MIN_SAFE_INTEGER);
  });

  test('rooms, extremities, txn ids, aliases and the public list', async () => {
    const s = await h.open();
    await s.knex('rooms').insert([
      { room_id: ROOM, room_version: '12', creator: ALICE, is_public: true, created_ts: 4_102_444_800_000 },
      { room_id: OTHER, room_version: '10', creator: null, is_public: false, created_ts: 1 },
    ]);
    const rooms = await store(s).getRooms([ROOM, OTHER, '!none:example.org']);
    assert.deepEqual([...rooms.keys()].sort(), [OTHER, ROOM].sort());
    for (const r of [ROOM, OTHER]) assert.deepEqual(rooms.get(r), await store(s).getRoom(r));
    await s.knex('forward_extremities').insert([
      { room_id: ROOM, event_id: '$b' },
      { room_id: ROOM, event_id: '$a' },
    ]);
    await s.knex('event_txn_ids').insert([
      { user_id: ALICE, device_id: 'D1', txn_id: 't1', room_id: ROOM, event_id: '$a', created_ts: 1 },
      { user_id: ALICE, device_id: 'D2', txn_id: 't2', room_id: ROOM, event_id: '$b', created_ts: 1 },
    ]);
    // The sending device's transaction ids are read from the events' rows, where the writer puts them.
    const sent = (id: string, ordering: number, device: string, txn: string) => ({
      event_id: id,
      room_id: ROOM,
      stream_ordering: ordering,
      depth: ordering,
      type: 'm.room.message',
      sender: ALICE,
      origin_server_ts: 1,
      json: '{}',
      received_ts: 1,
      txn_device_id: device,
      txn_id: txn,
    });
    await s.knex('events').insert([sent('$a', 1, 'D1', 't1'), sent('$b', 2, 'D2', 't2')]);
    await s.knex('room_aliases').insert([
      { room_alias: '#b:example.org', room_id: ROOM, creator: ALICE, servers: '["example.org"]', created_ts: 2 },
      { room_alias: '#a:example.org', room_id: ROOM, creator: null, servers: '["example.org","other.org"]', created_ts: 1 },
    ]);
    const r = store(s);
    assert.deepEqual(await r.getRoom(ROOM), {
      roomId: ROOM,
      roomVersion: '12',
      creator: ALICE,
      isPublic: true,
      createdTs: 4_102_444_800_000,
    });
    assert.equal((await r.getRoom(OTHER))?.isPublic, false);
    assert.equal(await r.getRoom('!nope:x'), undefined);
    assert.deepEqual(await r.getForwardExtremities(ROOM), ['$a', '$b']);
    assert.equal(await r.getTxnEvent(ALICE, 'D1', 't1'), '$a');
    assert.equal(await r.getTxnEvent(ALICE, 'D2', 't1'), undefined);
    assert.deepEqual(await r.getTxnIdsForEvents(ALICE, 'D1', ['$a', '$b']), new Map([['$a', 't1']]));
    assert.deepEqual(await r.getAliasesForRoom(ROOM), ['#a:example.org', '#b:example.org']);
    assert.deepEqual(await r.getRoomIdForAlias('#a:example.org'), { roomId: ROOM, servers: ['example.org', 'other.org'] });
    assert.deepEqual(await r.getAlias('#b:example.org'), { roomId: ROOM, servers: ['example.org'], creator: ALICE });
    assert.equal(await r.getRoomIdForAlias('#none:example.org'), undefined);
    assert.deepEqual(await r.getPublicRoomIds(), [ROOM]);
  });

  test('getEventNearTimestamp finds the closest timeline event in each direction', async () => {
    const s = await h.open();
    await insertEvent(s.knex, { id: '$1', so: 1, ts: 100 });
    await insertEvent(s.knex, { id: '$2', so: 2, ts: 200 });
    await insertEvent(s.knex, { id: '$3', so: 3, ts: 300, softFailed: true });
    await insertEvent(s.knex, { id: '$4', so: 4, ts: 400 });
    const r = store(s);
    assert.deepEqual(await r.getEventNearTimestamp(ROOM, 250, 'f'), { eventId: '$4', originServerTs: 400 });
    assert.deepEqual(await r.getEventNearTimestamp(ROOM, 250, 'b'), { eventId: '$2', originServerTs: 200 });
    assert.deepEqual(await r.getEventNearTimestamp(ROOM, 200, 'f'), { eventId: '$2', originServerTs: 200 });
    assert.equal(await r.getEventNearTimestamp(ROOM, 500, 'f'), undefined);
    assert.equal(await r.getEventNearTimestamp(ROOM, 50, 'b'), undefined);
  });
});

describeStorage('room read store, batched reads', (h) => {
  test('each batched read answers what its single-room read does, state groups resolved from a cold cache', async () => {
    const s = await h.open();
    await insertGroupChain(s.knex);
    for (let i = 1; i <= 6; i++) await insertEvent(s.knex, { id: `$e${i}`, so: i });
    await insertEvent(s.knex, { id: '$out', so: 7, outlier: true });
    await insertEvent(s.knex, { id: '$soft', so: 8, softFailed: true });
    await insertEvent(s.knex, { id: '$rej', so: 9, rejected: 'bad' });
    for (let i = 10; i <= 13; i++) await insertEvent(s.knex, { id: `$o${i}`, so: i, room: OTHER });
    await insertEvent(s.knex, { id: '$back', so: -3 });
    for (const [id, before] of [['$e1', 1], ['$e2', 2], ['$e3', 3], ['$e4', 4], ['$e5', 5], ['$e6', 2]] as const) {
      await s.knex('event_state').insert({ event_id: id, state_group_before: before, state_group_after: before });
    }
    await s.knex('room_memberships').insert([
      { event_id: '$a1', room_id: ROOM, user_id: ALICE, sender: ALICE, membership: 'join', stream_ordering: 1 },
      { event_id: '$b1', room_id: ROOM, user_id: BOB, sender: ALICE, membership: 'invite', stream_ordering: 2 },
      { event_id: '$b2', room_id: ROOM, user_id: BOB, sender: BOB, membership: 'join', stream_ordering: 4 },
      { event_id: '$b4', room_id: OTHER, user_id: BOB, sender: BOB, membership: 'join', stream_ordering: 7 },
    ]);
    await s.knex('current_memberships').insert([
      { room_id: ROOM, user_id: ALICE, membership: 'join', event_id: '$a1', stream_ordering: 1 },
      { room_id: ROOM, user_id: BOB, membership: 'join', event_id: '$b2', stream_ordering: 4 },
      { room_id: OTHER, user_id: BOB, membership: 'invite', event_id: '$b4', stream_ordering: 7 },
    ]);
    await s.knex('current_state').insert([
      { room_id: ROOM, type: 'm.room.name', state_key: '', event_id: '$name2', membership: null },
      { room_id: OTHER, type: 'm.room.member', state_key: BOB, event_id: '$b4', membership: 'invite' },
    ]);
    await s.knex('current_state_delta_stream').insert([
      { stream_ordering: 3, room_id: ROOM, type: 'm.room.name', state_key: '', event_id: '$name2' },
      { stream_ordering: 5, room_id: ROOM, type: 'm.room.topic', state_key: '', event_id: '$topic' },
      { stream_ordering: 11, room_id: OTHER, type: 'm.room.member', state_key: BOB, event_id: '$b4' },
    ]);
    const rooms = [ROOM, OTHER, '!none:example.org'];
    // Separate stores: each starts with an empty state-group cache, so the batch resolves every chain itself.
    const batch = store(s);
    const single = store(s);
    const ids = (evs: ReadonlyArray<{ eventId: string }>) => evs.map((e) => e.eventId);

    const slices = [
      { roomId: ROOM, from: 0, to: 100 },
      { roomId: OTHER, from: 0, to: 100 },
      { roomId: ROOM, from: 2, to: 5 },
      { roomId: ROOM, from: Number.MIN_SAFE_INTEGER, to: 1 },
      { roomId: ROOM, from: 5, to: 5 },
      { roomId: '!none:example.org', from: 0, to: 100 },
    ];
    for (const limit of [2, 10]) {
      const got = await batch.getRoomEventsBeforeMany(slices, limit);
      const want = await Promise.all(slices.map((r) => single.getRoomEventsInRange(r.roomId, r.from, r.to, 'b', limit)));
      assert.deepEqual(got.map(ids), want.map(ids), `limit ${limit}`);
      assert.deepEqual(got, want);
    }
    assert.deepEqual(ids((await batch.getRoomEventsBeforeMany(slices, 10))[0] ?? []), ['$e6', '$e5', '$e4', '$e3', '$e2', '$e1']);

    const events = ['$e1', '$e2', '$e3', '$e4', '$e5', '$e6', '$unknown'];
    const states = await batch.getStateIdsBeforeEvents(events);
    for (const id of events) assert.deepEqual(states.get(id), await single.getStateIdsBeforeEvent(id), id);
    assert.equal(states.has('$unknown'), false);
    // $e2 and $e6 share a group: each gets its own map.
    states.get('$e2')?.clear();
    assert.equal(states.get('$e6')?.size, 3);

    for (const user of [ALICE, BOB]) {
      const histories = await batch.getMembershipHistoriesInRooms(rooms, user);
      for (const r of rooms) assert.deepEqual(histories.get(r), await single.getMembershipHistoryInRoom(r, user), `${user} ${r}`);
    }
    const marks = await batch.getCurrentStateMarks(rooms);
    for (const r of rooms) assert.equal(marks.get(r), await single.getCurrentStateMark(r), r);
    for (const memberships of [undefined, ['join'] as const]) {
      const members = await batch.getRoomMembersOfRooms(rooms, memberships);
      for (const r of rooms) assert.deepEqual(members.get(r), await single.getRoomMembers(r, memberships), r);
    }
    const servers = new Set((await Promise.all(rooms.map((r) => single.getJoinedServers(r)))).flat());
    assert.deepEqual(await batch.getJoinedServersOfRooms(rooms), servers);
    assert.deepEqual([...servers], ['example.org']);
    const current = await batch.getCurrentStateIdsOfRooms(rooms);
    for (const r of rooms) assert.deepEqual(current.get(r), await single.getCurrentStateIds(r), r);
  });
});
