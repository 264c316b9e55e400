import { forbidden, invalidParam } from '../../errors/index.js';
import { splitStateKey } from '../../protocol/index.js';
import type { RoomStore } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import { summarizeRoom, type RoomSummary } from './room-summary.js';

// GET /v1/rooms/{roomId}/hierarchy over the rooms this server holds: a depth-first walk of m.space.child
// links from the root, children ordered by the spec's rules (valid `order` strings first, lexicographically;
// then the child event's origin_server_ts; then room id), skipping rooms the requester may not preview.
// Pagination tokens are stateless: they carry the walk's parameters and how many rooms were already served,
// so any worker answers them and a token for other parameters is refused.

export interface StrippedChildEvent {
  type: 'm.space.child';
  state_key: string;
  content: Record<string, unknown>;
  sender: string;
  origin_server_ts: number;
}

export interface HierarchyRoom extends RoomSummary {
  children_state: StrippedChildEvent[];
}

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

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
// Bounds the walk of a pathological (or cyclic through many rooms) space graph.
const MAX_ROOMS_WALKED = 2000;

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

/** The spec's validity rule for `order`: at most 50 printable ASCII characters (0x20-0x7E). */
function validOrder(order: unknown): string | undefined {
  return typeof order === 'string' && order.length <= 50 && /^[\x20-\x7E]*$/.test(order) ? order : undefined;
}

function compareChildren(a: StrippedChildEvent, b: StrippedChildEvent): number {
  const oa = validOrder(a.content.order);
  const ob = validOrder(b.content.order);
  if (oa !== undefined && ob === undefined) return -1;
  if (oa === undefined && ob !== undefined) return 1;
  if (oa !== undefined && ob !== undefined && oa !== ob) return oa < ob ? -1 : 1;
  if (a.origin_server_ts !== b.origin_server_ts) return a.origin_server_ts - b.origin_server_ts;
  return a.state_key < b.state_key ? -1 : a.state_key > b.state_key ? 1 : 0;
}

/** The room's m.space.child events with a non-empty `via` (others do not link), in the spec's order. */
export async function spaceChildren(store: RoomStore, roomId: RoomId): Promise<StrippedChildEvent[]> {
  const ids = await store.getCurrentStateIds(roomId);
  const childIds = [...ids.entries()].filter(([key]) => splitStateKey(key)[0] === 'm.space.child');
  const events = await store.getEvents(childIds.map(([, id]) => id));
  const out: StrippedChildEvent[] = [];
  for (const ev of events.values()) {
    const pdu = ev.pdu;
    if (pdu.type !== 'm.space.child' || typeof pdu.state_key !== 'string') continue;
    const via = (pdu.content as Record<string, unknown>).via;
    if (!Array.isArray(via) || via.length === 0) continue;
    out.push({
      type: 'm.space.child',
      state_key: pdu.state_key,
      content: pdu.content as Record<string, unknown>,
      sender: pdu.sender,
      origin_server_ts: pdu.origin_server_ts,
    });
  }
  return out.sort(compareChildren);
}

export async function roomHierarchy(store: RoomStore, requester: UserId, rootId: RoomId, params: HierarchyParams): Promise<HierarchyResponse> {
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

  const rooms: HierarchyRoom[] = [];
  const seen = new Set<string>();
  // Depth-first: a stack of rooms to visit, children pushed in reverse so the first child is visited next.
  const stack: Array<{ roomId: RoomId; depth: number }> = [{ roomId: rootId, depth: 0 }];
  let served = 0;
  let walked = 0;
  let more = false;
  while (stack.length > 0) {
    const next = stack.pop();
    if (next === undefined) break;
    if (seen.has(next.roomId)) continue;
    seen.add(next.roomId);
    if (++walked > MAX_ROOMS_WALKED) break;
    const info = next.roomId === rootId ? root : await summarizeRoom(store, next.roomId, requester);
    if (!info || !info.accessible) continue;

    if (served >= skip + limit) {
      more = true;
      break;
    }
    const expand = depthLimit === null || next.depth < depthLimit;
    const children = await spaceChildren(store, next.roomId);
    const listed = params.suggestedOnly ? children.filter((c) => c.content.suggested === true) : children;
    if (served >= skip) rooms.push({ ...info.summary, children_state: listed });
    served++;
    if (expand) {
      for (let i = listed.length - 1; i >= 0; i--) {
        const child = listed[i];
        if (child && !seen.has(child.state_key)) stack.push({ roomId: child.state_key as RoomId, depth: next.depth + 1 });
      }
    }
  }
  const out: HierarchyResponse = { rooms };
  if (more) out.next_batch = encodeToken({ root: rootId, suggested: params.suggestedOnly, depth: depthLimit, skip: skip + limit });
  return out;
}
