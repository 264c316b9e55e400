import type { Knex } from 'knex';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { Pdu, StateKey } from '../../types/pdu.js';
import type { EventToPersist } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';

// Replaces a room's current state inside the persisting transaction: current_state rows, one
// current_state_delta_stream row per changed key (what incremental sync reads), and current_memberships
// for member keys. Only changed keys are touched, so a message in a large room costs one SELECT. Returns the
// users whose current_memberships rows changed.

const SEP = '\u0000';

interface CurrentRow {
  type: string;
  state_key: string;
  event_id: string;
}

function split(key: StateKey): [string, string] {
  const i = key.indexOf(SEP);
  return [key.slice(0, i), key.slice(i + 1)];
}

function membershipOf(pdu: Pdu | undefined): string | null {
  const m = pdu?.content.membership;
  return typeof m === 'string' ? m : null;
}

export async function writeCurrentState(
  trx: Knex.Transaction,
  dialect: Dialect,
  roomId: RoomId,
  next: ReadonlyMap<StateKey, EventId>,
  batch: ReadonlyArray<EventToPersist & { streamOrdering: number }>,
): Promise<Set<UserId>> {
  const rows: CurrentRow[] = await trx('current_state').select('type', 'state_key', 'event_id').where('room_id', roomId);
  const old = new Map<StateKey, EventId>(rows.map((r) => [`${r.type}${SEP}${r.state_key}`, r.event_id]));

  const changed: Array<[StateKey, EventId]> = [];
  for (const [k, v] of next) if (old.get(k) !== v) changed.push([k, v]);
  const removed: StateKey[] = [];
  for (const k of old.keys()) if (!next.has(k)) removed.push(k);
  const members = new Set<UserId>();
  if (changed.length === 0 && removed.length === 0) return members;

  // The PDUs of the new entries: from the batch, else (state resolution picked an older event) from the table.
  const inBatch = new Map(batch.map((e) => [e.eventId, e]));
  const pdus = new Map<EventId, Pdu>();
  const toLoad: EventId[] = [];
  for (const [, id] of changed) {
    const b = inBatch.get(id);
    if (b !== undefined) pdus.set(id, b.pdu);
    else toLoad.push(id);
  }
  for (let i = 0; i < toLoad.length; i += 500) {
    const loaded: Array<{ event_id: string; json: string }> = await trx('events')
      .select('event_id', 'json')
      .whereIn('event_id', toLoad.slice(i, i + 500));
    for (const r of loaded) pdus.set(r.event_id, JSON.parse(r.json) as Pdu);
  }

  const maxOrdering = batch.reduce((m, e) => Math.max(m, e.streamOrdering), 0);
  const orderingOf = (id: EventId | null) => (id !== null ? (inBatch.get(id)?.streamOrdering ?? maxOrdering) : maxOrdering);

  const deltas: Array<Record<string, unknown>> = [];
  const upserts: Array<Record<string, unknown>> = [];
  const memberUpserts: Array<Record<string, unknown>> = [];
  for (const [k, id] of changed) {
    const [type, stateKey] = split(k);
    const pdu = pdus.get(id);
    const membership = type === 'm.room.member' ? (membershipOf(pdu) ?? 'leave') : null;
    upserts.push({ room_id: roomId, type, state_key: stateKey, event_id: id, membership });
    deltas.push({
      stream_ordering: orderingOf(id),
      room_id: roomId,
      type,
      state_key: stateKey,
      event_id: id,
      prev_event_id: old.get(k) ?? null,
    });
    if (membership !== null) {
      memberUpserts.push({ room_id: roomId, user_id: stateKey, membership, event_id: id, stream_ordering: orderingOf(id) });
      members.add(stateKey as UserId);
    }
  }
  for (const k of removed) {
    const [type, stateKey] = split(k);
    await trx('current_state').where({ room_id: roomId, type, state_key: stateKey }).del();
    if (type === 'm.room.member') {
      await trx('current_memberships').where({ room_id: roomId, user_id: stateKey }).del();
      members.add(stateKey as UserId);
    }
    deltas.push({
      stream_ordering: maxOrdering,
      room_id: roomId,
      type,
      state_key: stateKey,
      event_id: null,
      prev_event_id: old.get(k) ?? null,
    });
  }
  await dialect.upsert(trx, 'current_state', upserts, ['room_id', 'type', 'state_key']);
  await dialect.upsert(trx, 'current_memberships', memberUpserts, ['room_id', 'user_id']);
  deltas.sort((a, b) => Number(a.stream_ordering) - Number(b.stream_ordering));
  for (let i = 0; i < deltas.length; i += 500) await trx('current_state_delta_stream').insert(deltas.slice(i, i + 500));
  return members;
}
