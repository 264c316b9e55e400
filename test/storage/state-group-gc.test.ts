import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KnexStorage } from '../../src/storage/knex/index.js';
import { StateGroupCollector } from '../../src/rooms/state-group-gc.js';
import type { Pdu, StateKey } from '../../src/types/pdu.js';
import { handMadePdu, sk } from '../helpers/hand-made-pdus.js';
import { describeStorage, testLogger } from '../helpers/storage.js';

// Garbage collection of state groups on both engines: groups left behind when the partial-state resync gives
// events their full state go (after two runs); a group an event names again between the scan and the
// deletion stays with its chain; a group no event names but that a live group is a delta against stays;
// rooms still in partial state are left alone; every event's state reads the same before and after.

const ROOM = '!gc:test.example.org';

const pdu = (type: string, prev: string[], extra: Partial<Pdu> = {}): Pdu => handMadePdu(ROOM, type, prev, extra);

const EVENTS = ['$create', '$t1', '$t2', '$t3', '$t4', '$t5', '$t6', '$m7'];

async function buildRoom(storage: KnexStorage): Promise<Map<string, Map<StateKey, string>>> {
  let state = new Map<StateKey, string>();
  let prev: string | null = null;
  let ordering = 0;
  for (const id of EVENTS) {
    const p =
      id === '$create'
        ? pdu('m.room.create', [], { state_key: '' })
        : id.startsWith('$t')
          ? pdu(Number(id.slice(2)) % 2 === 0 ? 'm.room.topic' : 'm.room.name', [prev as string], { state_key: '', content: { v: id } })
          : pdu('m.room.message', [prev as string]);
    const before = new Map(state);
    if (typeof p.state_key === 'string') state = new Map(state).set(sk(p.type, p.state_key), id);
    ordering += 1;
    await storage.rooms.persistEvents({
      roomId: ROOM,
      events: [{ eventId: id, pdu: p, roomId: ROOM, depth: ordering, outlier: false, softFailed: false, rejectedReason: null, stateBefore: before, streamOrdering: ordering }],
      newForwardExtremities: [id],
      newCurrentState: state,
      ...(ordering === 1 ? { room: { roomId: ROOM, roomVersion: '10', creator: '@alice:test.example.org', isPublic: false, createdTs: 1 } } : {}),
    });
    prev = id;
  }
  const out = new Map<string, Map<StateKey, string>>();
  for (const id of EVENTS) out.set(id, (await storage.rooms.getStateIdsAfterEvent(id)) as Map<StateKey, string>);
  return out;
}

async function groupsOf(storage: KnexStorage, eventId: string): Promise<{ before: number; after: number }> {
  const row: { b: unknown; a: unknown } = await storage.knex('event_state').select({ b: 'state_group_before', a: 'state_group_after' }).where('event_id', eventId).first();
  return { before: Number(row.b), after: Number(row.a) };
}

async function maxGroupId(storage: KnexStorage): Promise<number> {
  const top: { m?: unknown } | undefined = await storage.knex('state_groups').max({ m: 'id' }).first();
  return Number(top?.m);
}

async function groupIds(storage: KnexStorage): Promise<Set<number>> {
  const rows: Array<{ id: unknown }> = await storage.knex('state_groups').select('id');
  return new Set(rows.map((r) => Number(r.id)));
}

async function statesOf(storage: KnexStorage): Promise<Array<[string, string, string[]]>> {
  const out: Array<[string, string, string[]]> = [];
  for (const id of [...EVENTS, '$probe']) {
    const before = await storage.rooms.getStateIdsBeforeEvent(id);
    const after = await storage.rooms.getStateIdsAfterEvent(id);
    if (before !== undefined) out.push([id, 'before', [...before].map(([k, v]) => `${k}=${v}`).sort()]);
    if (after !== undefined) out.push([id, 'after', [...after].map(([k, v]) => `${k}=${v}`).sort()]);
  }
  out.push(['current', '', [...(await storage.rooms.getCurrentStateIds(ROOM))].map(([k, v]) => `${k}=${v}`).sort()]);
  return out;
}

describeStorage('state group garbage collection', (ctx) => {
  test('unreferenced groups go, delta bases and re-referenced groups stay, states read the same', async () => {
    const db = await ctx.createDatabase();
    const storage = await db.open();
    const oldAfter = await buildRoom(storage);
    const old = { t2: await groupsOf(storage, '$t2'), t3: await groupsOf(storage, '$t3'), t4: await groupsOf(storage, '$t4'), t5: await groupsOf(storage, '$t5'), t6: await groupsOf(storage, '$t6') };
    // The groups of $t3..$t6 are a chain of deltas: each event's state after is a delta on the one before.
    assert.equal(old.t4.before, old.t3.after);

    // The resync gives $t4 and everything after it a fuller state: their old groups lose every reference.
    const zed = sk('m.room.member', '@zed:test.example.org');
    const eventStates = ['$t4', '$t5', '$t6', '$m7'].map((id) => {
      const after = new Map(oldAfter.get(id)).set(zed, '$zedjoin');
      const before = id === '$t4' ? new Map(oldAfter.get('$t3')).set(zed, '$zedjoin') : new Map(oldAfter.get(EVENTS[EVENTS.indexOf(id) - 1] as string)).set(zed, '$zedjoin');
      return { eventId: id, stateBefore: before, stateAfter: after };
    });
    await storage.rooms.completePartialState({ roomId: ROOM, events: [], eventStates, newCurrentState: new Map(oldAfter.get('$m7')).set(zed, '$zedjoin') });
    const dead = [old.t4.after, old.t5.after, old.t6.after];

    // $t2's state moves to an identical copy of its group: $t2's old group is named by no event, but $t3's
    // group is a delta against it.
    const copy = (await maxGroupId(storage)) + 1000;
    await storage.knex('state_groups').insert({ id: copy, room_id: ROOM, prev_group: null, delta_depth: 0, chain_rows: 0 });
    await storage.knex('state_group_entries').insert([...(oldAfter.get('$t2') as Map<StateKey, string>)].map(([k, v]) => {
      const [type, stateKey] = k.split('\u0000') as [string, string];
      return { state_group: copy, type, state_key: stateKey, event_id: v };
    }));
    await storage.knex('event_state').where('event_id', '$t2').update({ state_group_after: copy });
    await storage.knex('event_state').where('event_id', '$t3').update({ state_group_before: copy });

    const expected = await statesOf(storage);
    const gc = new StateGroupCollector(storage.rooms, (_room, fn) => fn(), testLogger());

    // First run: found, not yet deleted (a reader may still be resolving one it looked up before the resync).
    const first = await gc.run();
    assert.equal(first.deleted, 0);
    assert.equal(first.found, 3);
    for (const g of dead) assert.ok((await groupIds(storage)).has(g));

    // Between the scan and the deletion an event names $t5's old group again (what a writer could do).
    await storage.knex('event_state').insert({ event_id: '$probe', state_group_before: old.t5.after, state_group_after: old.t5.after });
    // While the room is in partial state nothing of it is deleted.
    await storage.knex('partial_state_rooms').insert({ room_id: ROOM, join_event_id: '$t4', joined_via: 'x', servers: '[]', created_ts: 1 });
    assert.equal((await gc.run()).deleted, 0);
    await storage.knex('partial_state_rooms').where('room_id', ROOM).del();
    await gc.run(); // the partial-state run confirmed only $t6's group again
    let ids = await groupIds(storage);
    assert.ok(!ids.has(old.t6.after), "$t6's old group went");
    assert.ok(ids.has(old.t5.after), 'the re-referenced group stays');
    assert.ok(ids.has(old.t4.after), 'and so does its delta base');
    assert.ok(ids.has(old.t2.after), "$t2's old group is the delta base of $t3's group");
    assert.deepEqual(await storage.rooms.getStateIdsAfterEvent('$probe'), oldAfter.get('$t5'));

    // Once nothing names them, the rest goes two runs later.
    await storage.knex('event_state').where('event_id', '$probe').del();
    assert.equal((await gc.run()).deleted, 0);
    assert.equal((await gc.run()).deleted, 2);
    ids = await groupIds(storage);
    for (const g of dead) assert.ok(!ids.has(g));
    assert.ok(ids.has(old.t2.after) && ids.has(old.t3.after));
    const orphanEntries: Array<{ n: unknown }> = await storage.knex('state_group_entries').whereIn('state_group', dead).count({ n: '*' });
    assert.equal(Number(orphanEntries[0]?.n), 0);
    assert.deepEqual((await gc.run()).found, 0);

    // Every state reads the same, through this connection's caches and through a fresh one.
    assert.deepEqual(await statesOf(storage), expected);
    const fresh = await db.open();
    assert.deepEqual(await statesOf(fresh), expected);

    // The writer goes on building deltas after a collection.
    await storage.rooms.persistEvents({
      roomId: ROOM,
      events: [{ eventId: '$t8', pdu: pdu('m.room.topic', ['$m7'], { state_key: '', content: { v: 8 } }), roomId: ROOM, depth: 9, outlier: false, softFailed: false, rejectedReason: null, stateBefore: new Map(oldAfter.get('$m7')).set(zed, '$zedjoin'), streamOrdering: 9 }],
      newForwardExtremities: ['$t8'],
      newCurrentState: null,
    });
    assert.deepEqual(await fresh.rooms.getStateIdsAfterEvent('$t8'), new Map(oldAfter.get('$m7')).set(zed, '$zedjoin').set(sk('m.room.topic', ''), '$t8'));
  });

  test("a group that only a state event's state after names (the room's newest event) stays", async () => {
    const db = await ctx.createDatabase();
    const storage = await db.open();
    const after = await buildRoom(storage);
    const stateBefore = after.get('$m7') as Map<StateKey, string>;
    await storage.rooms.persistEvents({
      roomId: ROOM,
      events: [{ eventId: '$t8', pdu: pdu('m.room.topic', ['$m7'], { state_key: '', content: { v: 8 } }), roomId: ROOM, depth: 9, outlier: false, softFailed: false, rejectedReason: null, stateBefore, streamOrdering: 9 }],
      newForwardExtremities: ['$t8'],
      newCurrentState: new Map(stateBefore).set(sk('m.room.topic', ''), '$t8'),
    });
    const t8 = await groupsOf(storage, '$t8');
    assert.notEqual(t8.after, t8.before);
    // A newer group nobody names, so that $t8's is not kept only for having the highest id.
    await storage.knex('state_groups').insert({ id: t8.after + 1000, room_id: ROOM, prev_group: null, delta_depth: 0, chain_rows: 0 });
    const gc = new StateGroupCollector(storage.rooms, (_room, fn) => fn(), testLogger());
    await gc.run();
    await gc.run();
    assert.ok((await groupIds(storage)).has(t8.after));
    // Read through a fresh connection, past the caches of the one that wrote it.
    assert.deepEqual(await (await db.open()).rooms.getStateIdsAfterEvent('$t8'), new Map(stateBefore).set(sk('m.room.topic', ''), '$t8'));
  });

  test('the group with the highest id is never deleted, so ids are not reused after a restart', async () => {
    const storage = await ctx.open();
    await buildRoom(storage);
    const highest = await maxGroupId(storage);
    await storage.knex('event_state').update({ state_group_before: 1, state_group_after: 1 }).where('state_group_after', highest);
    await storage.knex('event_state').update({ state_group_before: 1 }).where('state_group_before', highest);
    const gc = new StateGroupCollector(storage.rooms, (_room, fn) => fn(), testLogger());
    await gc.run();
    await gc.run();
    assert.ok((await groupIds(storage)).has(highest));
  });
});
