import type { RoomStore } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { StoredEvent } from '../../storage/interfaces/index.js';

// The summary of a local room that /hierarchy and /room_summary show (the spec's PublishedRoomsChunk plus
// room_type, and for /room_summary the v1.15 extras), and who may see it: a room is previewable when it is
// world_readable, publicly joinable or knockable, when the requester is joined or invited, or when a
// restricted rule lets the requester in through a room they are joined to (Synapse's rules).

export interface RoomSummary {
  room_id: RoomId;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  join_rule: string;
  room_type?: string;
  name?: string;
  topic?: string;
  avatar_url?: string;
  canonical_alias?: string;
  room_version?: string;
  encryption?: string;
  allowed_room_ids?: string[];
}

export interface SummaryWithAccess {
  summary: RoomSummary;
  /** The requester's current membership in the room, when they have one. */
  membership: string | undefined;
  accessible: boolean;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function content(ev: StoredEvent | undefined): Record<string, unknown> {
  return (ev?.pdu.content as Record<string, unknown> | undefined) ?? {};
}

/** `m.room_membership` room ids of a join_rules `allow` list. */
export function allowedRoomIds(allow: unknown): string[] {
  if (!Array.isArray(allow)) return [];
  const out: string[] = [];
  for (const entry of allow) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
    const e = entry as Record<string, unknown>;
    if (e.type === 'm.room_membership' && typeof e.room_id === 'string') out.push(e.room_id);
  }
  return out;
}

/**
 * The summary of a room we hold, with the requester's access to it; undefined when we do not know the room.
 * `requester` null means an unauthenticated preview (room_summary allows it).
 */
export async function summarizeRoom(store: RoomStore, roomId: RoomId, requester: UserId | null): Promise<SummaryWithAccess | undefined> {
  const room = await store.getRoom(roomId);
  if (!room) return undefined;
  const state = (type: string, key = '') => store.getCurrentStateEvent(roomId, type, key);
  const [create, name, topic, avatar, alias, joinRules, history, guest, encryption, members] = await Promise.all([
    state('m.room.create'),
    state('m.room.name'),
    state('m.room.topic'),
    state('m.room.avatar'),
    state('m.room.canonical_alias'),
    state('m.room.join_rules'),
    state('m.room.history_visibility'),
    state('m.room.guest_access'),
    state('m.room.encryption'),
    store.getRoomMembers(roomId, ['join']),
  ]);
  if (!create) return undefined;
  const joinRule = str(content(joinRules).join_rule) ?? 'invite';
  const worldReadable = content(history).history_visibility === 'world_readable';
  const allowed = joinRule === 'restricted' || joinRule === 'knock_restricted' ? allowedRoomIds(content(joinRules).allow) : [];

  const summary: RoomSummary = {
    room_id: roomId,
    num_joined_members: members.length,
    world_readable: worldReadable,
    guest_can_join: content(guest).guest_access === 'can_join',
    join_rule: joinRule,
    room_version: room.roomVersion,
  };
  const roomType = str(content(create).type);
  if (roomType !== undefined) summary.room_type = roomType;
  const n = str(content(name).name);
  if (n !== undefined) summary.name = n;
  const t = str(content(topic).topic);
  if (t !== undefined) summary.topic = t;
  const a = str(content(avatar).url);
  if (a !== undefined) summary.avatar_url = a;
  const ca = str(content(alias).alias);
  if (ca !== undefined) summary.canonical_alias = ca;
  const enc = str(content(encryption).algorithm);
  if (enc !== undefined) summary.encryption = enc;
  if (allowed.length > 0) summary.allowed_room_ids = allowed;

  let membership: string | undefined;
  if (requester !== null) {
    const m = content(await state('m.room.member', requester)).membership;
    membership = typeof m === 'string' ? m : undefined;
  }
  let accessible =
    worldReadable || joinRule === 'public' || joinRule === 'knock' || joinRule === 'knock_restricted' || membership === 'join' || membership === 'invite';
  if (!accessible && requester !== null && allowed.length > 0) {
    const mine = await store.getRoomsForUser(requester, ['join']);
    accessible = mine.some((r) => allowed.includes(r.roomId));
  }
  return { summary, membership, accessible };
}
