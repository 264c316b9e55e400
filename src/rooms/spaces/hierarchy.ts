import { forbidden, invalidParam } from '../../errors/index.js';
import type { RoomStore } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { RemoteHierarchy, RemoteHierarchyRoom } from './remote-hierarchy.js';
import { summarizeRoom, type RoomSummary } from './room-summary.js';
import { listedChildren, spaceChildren, type HierarchyRoom, type StrippedChildEvent } from './space-children.js';

// GET /v1/rooms/{roomId}/hierarchy: a depth-first walk of m.space.child links from the root, children in
// the spec's order, skipping rooms the requester may not preview. Rooms this server holds are summarised
// from its own state; others are asked of the servers in the child event's `via` (federation /hierarchy),
// whose answer also summarises that room's children, so a remote sub-space costs one request.
// Pagination tokens are stateless: they carry the walk's parameters and how many rooms were already served,
// so any worker answers them and a token for other parameters is refused.

export type { HierarchyRoom, StrippedChildEvent } from './space-children.js';
export { spaceChildren } from './space-children.js';

export interface HierarchyParams {
  suggestedOnly: boolean;
  maxDepth?: number;
  limit?: number;
  from?: string;
}

export interface HierarchyResponse {
  rooms: HierarchyRoom[];
  next_batch?: string;
}

export interface HierarchyWalkDeps {
  store: RoomStore;
  /** Absent when federation is off: only local rooms are shown. */
  remote?: RemoteHierarchy;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
// Bounds the walk of a pathological (or cyclic through many rooms) space graph.
const MAX_ROOMS_WALKED = 2000;
// Bounds how many remote servers one page may wait for.
const MAX_REMOTE_LOOKUPS = 50;

interface Token {
  root: string;
  suggested: boolean;
  depth: number | null;
  skip: number;
}

function encodeToken(t: Token): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeToken(raw: string): Token {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Token>;
    if (
      typeof v.root === 'string' &&
      typeof v.suggested === 'boolean' &&
      (v.depth === null || typeof v.depth === 'number') &&
      typeof v.skip === 'number' &&
      Number.isSafeInteger(v.skip) &&
      v.skip >= 0
    ) {
      return v as Token;
    }
  } catch {
    // fall through to the error below
  }
  throw invalidParam('Unknown pagination token');
}

/**
 * Whether `requester` may preview a room known only from another server's summary: world-readable,
 * publicly joinable or knockable, or restricted to a room the requester is joined to here (Synapse's rules;
 * had the requester been joined or invited, this server would hold the room).
 */
export async function remoteRoomAccessible(store: RoomStore, room: RoomSummary, requester: UserId): Promise<boolean> {
  if (room.world_readable || room.join_rule === 'public' || room.join_rule === 'knock' || room.join_rule === 'knock_restricted') return true;
  const allowed = room.allowed_room_ids ?? [];
  if (room.join_rule !== 'restricted' || allowed.length === 0) return false;
  const mine = await store.getRoomsForUser(requester, ['join']);
  return mine.some((r) => allowed.includes(r.roomId));
}

export function withoutChildren(room: RemoteHierarchyRoom): RoomSummary {
  const { children_state: _children, childrenKnown: _known, ...summary } = room;
  return summary;
}

interface Resolved {
  summary: RoomSummary;
  children: StrippedChildEvent[];
}

export async function roomHierarchy(deps: HierarchyWalkDeps, requester: UserId, rootId: RoomId, params: HierarchyParams): Promise<HierarchyResponse> {
  const { store, remote } = deps;
  const limit = Math.min(Math.max(params.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
  const depthLimit = params.maxDepth ?? null;
  let skip = 0;
  if (params.from !== undefined) {
    const t = decodeToken(params.from);
    if (t.root !== rootId || t.suggested !== params.suggestedOnly || t.depth !== depthLimit) {
      throw invalidParam('Pagination parameters do not match the pagination token');
    }
    skip = t.skip;
  }

  const root = await summarizeRoom(store, rootId, requester);
  if (!root || !root.accessible) throw forbidden('You are not allowed to view this room.');

  // What remote servers told us during this walk: summaries of rooms we do not hold (with their children
  // when the server gave them), and rooms they said we cannot reach from anywhere.
  const learned = new Map<string, RemoteHierarchyRoom>();
  const unreachable = new Set<string>();
  let remoteLookups = 0;

  const resolve = async (roomId: RoomId, via: readonly string[]): Promise<Resolved | undefined> => {
    const local = roomId === rootId ? root : await summarizeRoom(store, roomId, requester);
    if (local !== undefined) return local.accessible ? { summary: local.summary, children: await spaceChildren(store, roomId) } : undefined;
    if (unreachable.has(roomId)) return undefined;
    let room = learned.get(roomId);
    if ((room === undefined || !room.childrenKnown) && remote !== undefined && via.length > 0 && remoteLookups < MAX_REMOTE_LOOKUPS) {
      remoteLookups++;
      const answer = await remote(roomId, via, params.suggestedOnly);
      if (answer !== undefined) {
        room = answer.room;
        for (const child of answer.children) if (!learned.has(child.room_id)) learned.set(child.room_id, child);
        for (const id of answer.inaccessibleChildren) unreachable.add(id);
      }
    }
    if (room === undefined || !(await remoteRoomAccessible(store, room, requester))) return undefined;
    return { summary: withoutChildren(room), children: room.children_state };
  };

  const rooms: HierarchyRoom[] = [];
  const seen = new Set<string>();
  // Depth-first: a stack of rooms to visit, children pushed in reverse so the first child is visited next.
  const stack: Array<{ roomId: RoomId; depth: number; via: readonly string[] }> = [{ roomId: rootId, depth: 0, via: [] }];
  let served = 0;
  let walked = 0;
  let more = false;
  while (stack.length > 0) {
    const next = stack.pop();
    if (next === undefined) break;
    if (seen.has(next.roomId)) continue;
    seen.add(next.roomId);
    if (++walked > MAX_ROOMS_WALKED) break;
    const info = await resolve(next.roomId, next.via);
    if (info === undefined) continue;

    if (served >= skip + limit) {
      more = true;
      break;
    }
    const expand = depthLimit === null || next.depth < depthLimit;
    const listed = listedChildren(info.children, params.suggestedOnly);
    if (served >= skip) rooms.push({ ...info.summary, children_state: listed });
    served++;
    if (expand) {
      for (let i = listed.length - 1; i >= 0; i--) {
        const child = listed[i];
        if (child === undefined || seen.has(child.state_key)) continue;
        const via = (child.content.via as unknown[]).filter((s): s is string => typeof s === 'string');
        stack.push({ roomId: child.state_key as RoomId, depth: next.depth + 1, via });
      }
    }
  }
  const out: HierarchyResponse = { rooms };
  if (more) out.next_batch = encodeToken({ root: rootId, suggested: params.suggestedOnly, depth: depthLimit, skip: skip + limit });
  return out;
}
