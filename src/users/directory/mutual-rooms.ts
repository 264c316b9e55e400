import { invalidParam } from '../../errors/index.js';
import type { Storage } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';

// GET /v1/mutual_rooms (v1.19): rooms both users are joined to, in a stable (room id) order, in pages. The
// token is the offset into that order: membership can change between pages, which the spec tolerates (count
// "MAY be inaccurate").

export interface MutualRoomsResponse {
  joined: RoomId[];
  count: number;
  next_batch?: string;
}

const PAGE = 100;

function parseFrom(from: string | undefined): number {
  if (from === undefined) return 0;
  const m = /^m(\d{1,9})$/.exec(from);
  if (!m?.[1]) throw invalidParam('Invalid pagination token');
  return Number(m[1]);
}

export async function mutualRooms(storage: Storage, me: UserId, other: string, from: string | undefined): Promise<MutualRoomsResponse> {
  if (!/^@[^:]+:.+$/.test(other)) throw invalidParam('The user ID provided was invalid');
  if (other === me) throw invalidParam('You cannot request a list of shared rooms with yourself');
  const offset = parseFrom(from);
  const [mine, theirs] = await Promise.all([
    storage.rooms.getRoomsForUser(me, ['join']),
    storage.rooms.getRoomsForUser(other as UserId, ['join']),
  ]);
  const theirSet = new Set(theirs.map((r) => r.roomId));
  const shared = mine
    .map((r) => r.roomId)
    .filter((id) => theirSet.has(id))
    .sort();
  const page = shared.slice(offset, offset + PAGE);
  const out: MutualRoomsResponse = { joined: page, count: shared.length };
  if (offset + PAGE < shared.length) out.next_batch = `m${offset + PAGE}`;
  return out;
}
