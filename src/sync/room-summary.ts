import { stateKey } from '../protocol/index.js';
import type { RoomReadStore } from '../storage/interfaces/index.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';

// The room summary clients use to name rooms without the full member list: m.joined_member_count,
// m.invited_member_count and, when the room has neither a name nor a canonical alias, up to five heroes
// (other joined or invited members in membership order; former members when nobody else is left).

const MAX_HEROES = 5;

export async function buildRoomSummary(store: RoomReadStore, roomId: RoomId, userId: UserId): Promise<JsonObject> {
  const members = await store.getRoomMembers(roomId);
  let joined = 0;
  let invited = 0;
  const current: UserId[] = [];
  const former: UserId[] = [];
  for (const m of members) {
    if (m.membership === 'join') joined++;
    else if (m.membership === 'invite') invited++;
    if (m.userId === userId) continue;
    if (m.membership === 'join' || m.membership === 'invite') current.push(m.userId);
    else if (m.membership === 'leave' || m.membership === 'ban') former.push(m.userId);
  }
  const summary: JsonObject = { 'm.joined_member_count': joined, 'm.invited_member_count': invited };
  const state = await store.getCurrentStateIds(roomId);
  const nameId = state.get(stateKey('m.room.name', ''));
  const aliasId = state.get(stateKey('m.room.canonical_alias', ''));
  let named = false;
  if (nameId !== undefined || aliasId !== undefined) {
    const evs = await store.getEvents([nameId, aliasId].filter((x): x is string => x !== undefined));
    const name = nameId ? evs.get(nameId)?.pdu.content.name : undefined;
    const alias = aliasId ? evs.get(aliasId)?.pdu.content.alias : undefined;
    named = (typeof name === 'string' && name !== '') || (typeof alias === 'string' && alias !== '');
  }
  if (!named) {
    const pool = current.length > 0 ? current : former;
    summary['m.heroes'] = pool.slice(0, MAX_HEROES);
  }
  return summary;
}
