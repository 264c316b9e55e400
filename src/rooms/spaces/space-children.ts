import { splitStateKey } from '../../protocol/index.js';
import type { RoomStore } from '../../storage/interfaces/index.js';
import type { RoomId } from '../../types/ids.js';
import type { RoomSummary } from './room-summary.js';

// A space's m.space.child links as /hierarchy shows them (stripped state plus origin_server_ts), in the
// spec's order: valid `order` strings first, lexicographically; then the child event's origin_server_ts;
// then room id. Shared by the local walk, the federation answer and the parsing of remote answers.

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

/** The spec's validity rule for `order`: at most 50 printable ASCII characters (0x20-0x7E). */
function validOrder(order: unknown): string | undefined {
  return typeof order === 'string' && order.length <= 50 && /^[\x20-\x7E]*$/.test(order) ? order : undefined;
}

export function compareChildren(a: StrippedChildEvent, b: StrippedChildEvent): number {
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

/** Only the children a `suggested_only` request asks for. */
export function listedChildren(children: StrippedChildEvent[], suggestedOnly: boolean): StrippedChildEvent[] {
  return suggestedOnly ? children.filter((c) => c.content.suggested === true) : children;
}
