import { forbidden, invalidParam, MatrixError, notFound } from '../../errors/index.js';
import { historyVisibilityFrom, splitStateKey } from '../../protocol/index.js';
import type { StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { Requester } from '../../types/requester.js';
import type { ReaderContext } from './context.js';
import type { PublicRoomsChunk, PublicRoomsParams, PublicRoomsResponse } from './directory-types.js';
import { canChangeRoomList } from './permissions.js';

// The published room directory: GET/PUT /directory/list/room/{roomId} and GET/POST /publicRooms. Entries are
// built from current state; rooms nobody is joined to are left out (as Synapse does). Ordered by joined
// members (most first), then room id, and paged with offset tokens.

export type DirectoryVisibility = 'public' | 'private';

export type { PublicRoomsChunk, PublicRoomsParams, PublicRoomsResponse } from './directory-types.js';

const STATE_TYPES = new Set([
  'm.room.name',
  'm.room.topic',
  'm.room.canonical_alias',
  'm.room.avatar',
  'm.room.join_rules',
  'm.room.history_visibility',
  'm.room.guest_access',
  'm.room.create',
]);

export async function getDirectoryVisibility(ctx: ReaderContext, roomId: RoomId): Promise<{ visibility: DirectoryVisibility }> {
  const room = await ctx.store.getRoom(roomId);
  if (room === undefined) throw notFound(`Unknown room ${roomId}`);
  return { visibility: room.isPublic ? 'public' : 'private' };
}

export async function setDirectoryVisibility(
  ctx: ReaderContext,
  requester: Requester,
  roomId: RoomId,
  visibility: DirectoryVisibility,
): Promise<void> {
  if ((await ctx.store.getRoom(roomId)) === undefined) throw notFound(`Unknown room ${roomId}`);
  if (!(await canChangeRoomList(ctx.store, roomId, requester.userId))) {
    throw forbidden('This server requires you to be a moderator in the room to edit its room list entry');
  }
  await ctx.store.setRoomPublic(roomId, visibility === 'public');
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

async function entryFor(ctx: ReaderContext, roomId: RoomId): Promise<PublicRoomsChunk | undefined> {
  const joined = (await ctx.store.getRoomMembers(roomId, ['join'])).length;
  if (joined === 0) return undefined;
  const ids = new Map<string, EventId>();
  for (const [key, id] of await ctx.store.getCurrentStateIds(roomId)) {
    const [type, stateKey] = splitStateKey(key);
    if (stateKey === '' && STATE_TYPES.has(type)) ids.set(type, id);
  }
  const events = await ctx.store.getEvents(ids.values());
  const content = (type: string): Record<string, unknown> => {
    const id = ids.get(type);
    const ev: StoredEvent | undefined = id !== undefined ? events.get(id) : undefined;
    return ev?.pdu.content ?? {};
  };
  const entry: PublicRoomsChunk = {
    room_id: roomId,
    num_joined_members: joined,
    world_readable: historyVisibilityFrom(content('m.room.history_visibility')) === 'world_readable',
    guest_can_join: content('m.room.guest_access').guest_access === 'can_join',
  };
  const name = str(content('m.room.name').name);
  const topic = str(content('m.room.topic').topic);
  const alias = str(content('m.room.canonical_alias').alias);
  const avatar = str(content('m.room.avatar').url);
  const joinRule = str(content('m.room.join_rules').join_rule);
  const roomType = str(content('m.room.create').type);
  if (name !== undefined) entry.name = name;
  if (topic !== undefined) entry.topic = topic;
  if (alias !== undefined) entry.canonical_alias = alias;
  if (avatar !== undefined) entry.avatar_url = avatar;
  if (joinRule !== undefined) entry.join_rule = joinRule;
  if (roomType !== undefined) entry.room_type = roomType;
  return entry;
}

function matches(entry: PublicRoomsChunk, params: PublicRoomsParams): boolean {
  const term = params.genericSearchTerm?.trim().toLowerCase();
  if (term) {
    const fields = [entry.name, entry.topic, entry.canonical_alias];
    const hit = fields.some((f) => f !== undefined && f.toLowerCase().includes(term)) || entry.room_id === params.genericSearchTerm?.trim();
    if (!hit) return false;
  }
  if (params.roomTypes !== undefined && params.roomTypes.length > 0) {
    if (!params.roomTypes.includes(entry.room_type ?? null)) return false;
  }
  return true;
}

function parseSince(since: string | undefined): number {
  if (since === undefined || since === '') return 0;
  const m = /^p(\d{1,9})$/.exec(since);
  if (m?.[1] === undefined) throw invalidParam('Invalid since token');
  return Number(m[1]);
}

/**
 * Which list to read, as Synapse does: the server's own directory by default; one application service
 * network's list for `third_party_instance_id` ("<appservice id>|<network id>", the instance_id that
 * /thirdparty/protocols hands out); the directory and every network's list with include_all_networks.
 */
async function listedRoomIds(ctx: ReaderContext, params: PublicRoomsParams): Promise<RoomId[]> {
  const instance = params.thirdPartyInstanceId;
  if (params.includeAllNetworks === true) {
    if (instance !== undefined) throw invalidParam("Can't use include_all_networks with an explicit network");
    return [...new Set([...(await ctx.store.getPublicRoomIds()), ...(await ctx.networkListedRooms(null, null))])];
  }
  if (instance === undefined) return ctx.store.getPublicRoomIds();
  const bar = instance.indexOf('|');
  if (bar <= 0) throw invalidParam('third_party_instance_id must be "<appservice id>|<network id>"');
  return ctx.networkListedRooms(instance.slice(0, bar), instance.slice(bar + 1));
}

export async function publicRooms(ctx: ReaderContext, params: PublicRoomsParams): Promise<PublicRoomsResponse> {
  if (params.server !== undefined && params.server !== ctx.config.serverName) {
    if (ctx.remoteDirectory === undefined) throw new MatrixError('M_UNKNOWN', 502, `Unable to query the room directory of ${params.server}`);
    const { server, ...rest } = params;
    return ctx.remoteDirectory.publicRooms(server, rest);
  }
  const offset = parseSince(params.since);
  const entries: PublicRoomsChunk[] = [];
  for (const roomId of await listedRoomIds(ctx, params)) {
    const entry = await entryFor(ctx, roomId);
    if (entry !== undefined && matches(entry, params)) entries.push(entry);
  }
  entries.sort((a, b) => b.num_joined_members - a.num_joined_members || (a.room_id < b.room_id ? -1 : a.room_id > b.room_id ? 1 : 0));

  const limit = params.limit !== undefined && params.limit > 0 ? params.limit : entries.length;
  const chunk = entries.slice(offset, offset + limit);
  const out: PublicRoomsResponse = { chunk, total_room_count_estimate: entries.length };
  if (offset + limit < entries.length) out.next_batch = `p${offset + limit}`;
  if (offset > 0) out.prev_batch = `p${Math.max(0, offset - limit)}`;
  return out;
}
