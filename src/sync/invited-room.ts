import { stateKey } from '../protocol/index.js';
import type { MembershipRow, StoredEvent } from '../storage/interfaces/index.js';
import type { EventId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { SyncComputation } from './types.js';

// rooms.invite / rooms.knock: stripped state so the client can show the room before joining. The invite
// event may carry the state its sender chose (unsigned.invite_room_state / knock_room_state, as over
// federation); otherwise we take the room's current state of the kinds the spec recommends. Either way the
// user's own member event (the invite or knock itself) is included: clients read the inviter from it.

const STRIPPED_TYPES = [
  'm.room.create',
  'm.room.join_rules',
  'm.room.name',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.encryption',
  'm.room.topic',
] as const;

function isStrippedEvent(v: unknown): v is JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.type === 'string' && typeof o.state_key === 'string' && typeof o.sender === 'string' && typeof o.content === 'object';
}

function strip(e: StoredEvent): JsonObject {
  return { type: e.pdu.type, state_key: e.pdu.state_key ?? '', sender: e.pdu.sender, content: e.pdu.content };
}

export async function buildStrippedState(c: SyncComputation, row: MembershipRow, unsignedKey: 'invite_room_state' | 'knock_room_state'): Promise<JsonObject[]> {
  const own = await c.rooms.getEvent(row.eventId);
  const out: JsonObject[] = [];
  const carried = own?.pdu.unsigned?.[unsignedKey];
  if (Array.isArray(carried) && carried.length > 0) {
    for (const s of carried) if (isStrippedEvent(s)) out.push(s);
  } else {
    const ids: EventId[] = [];
    // The room's state as of our sync position (we may not hold the room's state for a remote invite: then
    // there is simply less to show).
    const current = await c.rooms.getStateIdsAtStreamOrdering(row.roomId, c.to.events);
    for (const t of STRIPPED_TYPES) {
      const id = current.get(stateKey(t, ''));
      if (id) ids.push(id);
    }
    if (own) {
      const inviterId = current.get(stateKey('m.room.member', own.pdu.sender));
      if (inviterId && own.pdu.sender !== c.requester.userId) ids.push(inviterId);
    }
    const events = ids.length > 0 ? await c.rooms.getEvents(ids) : new Map<EventId, StoredEvent>();
    for (const id of ids) {
      const e = events.get(id);
      if (e) out.push(strip(e));
    }
  }
  if (own && !out.some((s) => s.type === 'm.room.member' && s.state_key === c.requester.userId)) out.push(strip(own));
  return out;
}
