import type { JsonObject } from '../../types/json.js';
import type { RoomId } from '../../types/ids.js';
import { compareChildren, type HierarchyRoom, type StrippedChildEvent } from './space-children.js';

// Rooms of a space that this server does not hold are summarised by servers that do, through the
// federation GET /hierarchy/{roomId} (named by the `via` of the m.space.child event). Their answers are
// untrusted input: every field is type-checked and anything malformed is dropped. Answers are cached for a
// few minutes, as the spec asks, so paginating a hierarchy does not re-ask the same servers.

/** Asks `servers` in turn for the federation hierarchy of `roomId`; undefined when none answers. */
export type FetchRemoteHierarchy = (roomId: string, servers: readonly string[], suggestedOnly: boolean) => Promise<JsonObject | undefined>;

export interface RemoteHierarchyRoom extends HierarchyRoom {
  /** False when the remote server gave no children_state for a child room (it must be asked itself to expand it). */
  childrenKnown: boolean;
}

export interface RemoteSpaceAnswer {
  room: RemoteHierarchyRoom;
  children: RemoteHierarchyRoom[];
  inaccessibleChildren: string[];
}

export type RemoteHierarchy = (roomId: RoomId, via: readonly string[], suggestedOnly: boolean) => Promise<RemoteSpaceAnswer | undefined>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function parseChild(v: unknown): StrippedChildEvent | undefined {
  if (!isObject(v) || v.type !== 'm.space.child' || typeof v.state_key !== 'string' || !v.state_key.startsWith('!')) return undefined;
  if (!isObject(v.content) || typeof v.sender !== 'string' || typeof v.origin_server_ts !== 'number') return undefined;
  const via = v.content.via;
  if (!Array.isArray(via) || via.length === 0 || !via.every((s) => typeof s === 'string')) return undefined;
  return { type: 'm.space.child', state_key: v.state_key, content: v.content, sender: v.sender, origin_server_ts: v.origin_server_ts };
}

/** One room of a remote answer, or undefined when it lacks what the spec requires. */
export function parseRemoteRoom(v: unknown): RemoteHierarchyRoom | undefined {
  if (!isObject(v) || typeof v.room_id !== 'string' || !v.room_id.startsWith('!')) return undefined;
  const members = v.num_joined_members;
  if (typeof members !== 'number' || !Number.isSafeInteger(members) || members < 0) return undefined;
  const children = Array.isArray(v.children_state)
    ? v.children_state.map(parseChild).filter((c): c is StrippedChildEvent => c !== undefined).sort(compareChildren)
    : [];
  const room: RemoteHierarchyRoom = {
    room_id: v.room_id as RoomId,
    num_joined_members: members,
    world_readable: v.world_readable === true,
    guest_can_join: v.guest_can_join === true,
    // The spec's default when a summary leaves join_rule out.
    join_rule: optString(v.join_rule) ?? 'public',
    children_state: children,
    childrenKnown: Array.isArray(v.children_state),
  };
  for (const key of ['room_type', 'name', 'topic', 'avatar_url', 'canonical_alias', 'room_version', 'encryption'] as const) {
    const s = optString(v[key]);
    if (s !== undefined) room[key] = s;
  }
  if (Array.isArray(v.allowed_room_ids)) {
    const allowed = v.allowed_room_ids.filter((r): r is string => typeof r === 'string');
    if (allowed.length > 0) room.allowed_room_ids = allowed;
  }
  return room;
}

/** A remote answer for `roomId`; undefined when it is malformed or about another room. */
export function parseRemoteHierarchy(roomId: RoomId, raw: JsonObject): RemoteSpaceAnswer | undefined {
  const room = parseRemoteRoom(raw.room);
  if (room === undefined || room.room_id !== roomId) return undefined;
  const children = Array.isArray(raw.children)
    ? raw.children.map(parseRemoteRoom).filter((c): c is RemoteHierarchyRoom => c !== undefined && c.room_id !== roomId)
    : [];
  const inaccessibleChildren = Array.isArray(raw.inaccessible_children)
    ? raw.inaccessible_children.filter((r): r is string => typeof r === 'string')
    : [];
  return { room, children, inaccessibleChildren };
}

const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX = 1000;

/** The remote look-up with a small TTL cache in front (bounded; oldest entries go first). */
export function createRemoteHierarchy(fetch: FetchRemoteHierarchy, now: () => number, ownServer: string): RemoteHierarchy {
  const cache = new Map<string, { at: number; answer: RemoteSpaceAnswer | undefined }>();
  return async (roomId, via, suggestedOnly) => {
    const key = `${suggestedOnly ? 's' : 'a'}${roomId}`;
    const hit = cache.get(key);
    if (hit !== undefined && now() - hit.at < CACHE_TTL_MS) return hit.answer;
    const servers = [...new Set(via)].filter((s) => s !== ownServer).slice(0, 5);
    if (servers.length === 0) return undefined;
    const raw = await fetch(roomId, servers, suggestedOnly);
    const answer = raw === undefined ? undefined : parseRemoteHierarchy(roomId, raw);
    cache.delete(key);
    cache.set(key, { at: now(), answer });
    if (cache.size > CACHE_MAX) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    return answer;
  };
}
