import { stateKey } from '../protocol/index.js';
import type { RoomReadStore } from '../storage/interfaces/index.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';

// The room summary clients use to name rooms without the full member list: m.joined_member_count,
// m.invited_member_count and, when the room has neither a name nor a canonical alias, up to five heroes
// (other joined or invited members in membership order; former members when nobody else is left).

const MAX_HEROES = 5;

/** What a summary is derived from, per room; the requesting user is left out of the heroes afterwards. */
interface SummaryInputs {
  mark: number;
  joined: number;
  invited: number;
  /** Joined or invited members in membership order: enough to leave the requester out and keep five. */
  current: UserId[];
  former: UserId[];
  named: boolean;
}

/**
 * Summary inputs per room, kept while the room's current state is unchanged. When one message wakes the
 * long-polls of a room's members, every woken sync asked for the same summary, each reading the whole
 * member list and current state: quadratic in the room size. Now one indexed read checks the mark.
 */
export class RoomSummaryCache {
  private readonly rooms = new Map<RoomId, SummaryInputs>();

  constructor(private readonly max = 2_000) {}

  /** `markOf` reads the room's current-state mark (the woken syncs of a room share that read). */
  async inputs(store: RoomReadStore, roomId: RoomId, markOf: (roomId: RoomId) => Promise<number> = (r) => store.getCurrentStateMark(r)): Promise<SummaryInputs> {
    const mark = await markOf(roomId);
    const hit = this.rooms.get(roomId);
    if (hit !== undefined && hit.mark === mark) return hit;
    const fresh = await loadInputs(store, roomId, mark);
    // A mark read before a slower concurrent load must not replace a newer entry.
    const now = this.rooms.get(roomId);
    if (now === undefined || now.mark <= mark) {
      this.rooms.delete(roomId);
      this.rooms.set(roomId, fresh);
      if (this.rooms.size > this.max) this.rooms.delete(this.rooms.keys().next().value as RoomId);
    }
    return fresh;
  }
}

async function loadInputs(store: RoomReadStore, roomId: RoomId, mark: number): Promise<SummaryInputs> {
  const members = await store.getRoomMembers(roomId);
  const out: SummaryInputs = { mark, joined: 0, invited: 0, current: [], former: [], named: false };
  for (const m of members) {
    if (m.membership === 'join') out.joined++;
    else if (m.membership === 'invite') out.invited++;
    if ((m.membership === 'join' || m.membership === 'invite') && out.current.length <= MAX_HEROES) out.current.push(m.userId);
    else if ((m.membership === 'leave' || m.membership === 'ban') && out.former.length <= MAX_HEROES) out.former.push(m.userId);
  }
  const state = await store.getCurrentStateIds(roomId);
  const nameId = state.get(stateKey('m.room.name', ''));
  const aliasId = state.get(stateKey('m.room.canonical_alias', ''));
  if (nameId !== undefined || aliasId !== undefined) {
    const evs = await store.getEvents([nameId, aliasId].filter((x): x is string => x !== undefined));
    const name = nameId ? evs.get(nameId)?.pdu.content.name : undefined;
    const alias = aliasId ? evs.get(aliasId)?.pdu.content.alias : undefined;
    out.named = (typeof name === 'string' && name !== '') || (typeof alias === 'string' && alias !== '');
  }
  return out;
}

export async function buildRoomSummary(
  store: RoomReadStore,
  roomId: RoomId,
  userId: UserId,
  cache?: RoomSummaryCache,
  markOf?: (roomId: RoomId) => Promise<number>,
): Promise<JsonObject> {
  const inputs = cache !== undefined ? await cache.inputs(store, roomId, markOf) : await loadInputs(store, roomId, 0);
  const summary: JsonObject = { 'm.joined_member_count': inputs.joined, 'm.invited_member_count': inputs.invited };
  if (!inputs.named) {
    const current = inputs.current.filter((u) => u !== userId);
    const pool = current.length > 0 ? current : inputs.former.filter((u) => u !== userId);
    summary['m.heroes'] = pool.slice(0, MAX_HEROES);
  }
  return summary;
}
