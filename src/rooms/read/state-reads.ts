import { forbidden, notFound } from '../../errors/index.js';
import type { ClientEvent } from '../../protocol/index.js';
import { splitStateKey } from '../../protocol/index.js';
import type { StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { StateKey } from '../../types/pdu.js';
import type { Requester } from '../../types/requester.js';
import { assertUserInRoomOrVisible, assertUserJoined, type RoomAccess } from './access.js';
import type { ReaderContext } from './context.js';
import { parseEventsPosition } from './tokens.js';
import { filterEventsForUser } from './visibility.js';

// /event, /state, /state/{type}/{key}, /members, /joined_members and /joined_rooms. Members read current
// state; users who left read the state as of their departure (as Synapse does); world_readable rooms are
// readable by anyone.

export interface MembersParams {
  /** A room or sync token: the member list as of that point. */
  at?: string;
  membership?: string;
  notMembership?: string;
}

function serializeFor(ctx: ReaderContext, requester: Requester) {
  return ctx.serializerFor(requester);
}

/** The state the user may read: current, or as of their leave/ban. */
async function readableStateIds(ctx: ReaderContext, access: RoomAccess): Promise<Map<StateKey, EventId>> {
  if (access.upTo !== null && access.memberEventId !== null) {
    const after = await ctx.store.getStateIdsAfterEvent(access.memberEventId);
    if (after !== undefined) return after;
    return ctx.store.getStateIdsAtStreamOrdering(access.roomId, access.upTo);
  }
  return ctx.store.getCurrentStateIds(access.roomId);
}

/** How long a member list waits for a partial-state room's resync before answering with what we know. */
const FULL_STATE_WAIT_MS = 120_000;
const FULL_STATE_POLL_MS = 100;

/**
 * A room joined with partial state knows few of its members until the background resync ends; member lists
 * and a remote user's member event wait for it (as Synapse's do), up to a bound after which they answer with
 * what is known so far.
 */
async function awaitFullState(ctx: ReaderContext, roomId: RoomId): Promise<void> {
  const end = ctx.now() + FULL_STATE_WAIT_MS;
  while ((await ctx.store.getPartialStateRoom(roomId)) !== undefined) {
    if (ctx.now() >= end) {
      ctx.logger.warn({ roomId }, 'member list served from partial state: the resync has not finished');
      return;
    }
    await new Promise((r) => setTimeout(r, FULL_STATE_POLL_MS));
  }
}

async function eventsFor(ctx: ReaderContext, ids: Iterable<EventId>): Promise<StoredEvent[]> {
  const list = [...ids];
  const found = await ctx.store.getEvents(list);
  return list.map((id) => found.get(id)).filter((e): e is StoredEvent => e !== undefined);
}

export async function getEvent(ctx: ReaderContext, requester: Requester, roomId: RoomId, eventId: EventId): Promise<ClientEvent> {
  const event = await ctx.store.getEvent(eventId);
  if (event === undefined || event.roomId !== roomId || event.softFailed || event.rejectedReason !== null) {
    throw notFound('Event not found.');
  }
  if ((await filterEventsForUser(ctx.store, requester.userId, [event])).length === 0) {
    throw forbidden("You don't have permission to access that event.");
  }
  const [out] = await serializeFor(ctx, requester)([event]);
  if (out === undefined) throw notFound('Event not found.');
  return out;
}

export async function getState(ctx: ReaderContext, requester: Requester, roomId: RoomId): Promise<ClientEvent[]> {
  const access = await assertUserInRoomOrVisible(ctx.store, roomId, requester.userId);
  const ids = await readableStateIds(ctx, access);
  return serializeFor(ctx, requester)(await eventsFor(ctx, ids.values()));
}

/** One state event of the readable state (content, or the whole event with `format: 'event'`). */
export async function getStateEvent(
  ctx: ReaderContext,
  requester: Requester,
  roomId: RoomId,
  type: string,
  stateKey: string,
  format: 'content' | 'event' = 'content',
): Promise<JsonObject | ClientEvent> {
  const access = await assertUserInRoomOrVisible(ctx.store, roomId, requester.userId);
  let event: StoredEvent | undefined;
  if (access.upTo === null) {
    // Partial state holds every non-member event and our own users' memberships, not other servers' members.
    if (type === 'm.room.member' && !stateKey.endsWith(`:${ctx.config.serverName}`)) await awaitFullState(ctx, roomId);
    event = await ctx.store.getCurrentStateEvent(roomId, type, stateKey);
  } else {
    const id = (await readableStateIds(ctx, access)).get(`${type}\u0000${stateKey}`);
    event = id !== undefined ? await ctx.store.getEvent(id) : undefined;
  }
  if (event === undefined) throw notFound("Can't find event for given state key");
  const [out] = await serializeFor(ctx, requester)([event]);
  if (out === undefined) throw notFound("Can't find event for given state key");
  return format === 'event' ? out : out.content;
}

export async function getMembers(ctx: ReaderContext, requester: Requester, roomId: RoomId, params: MembersParams): Promise<ClientEvent[]> {
  const access = await assertUserInRoomOrVisible(ctx.store, roomId, requester.userId);
  await awaitFullState(ctx, roomId);
  let ids: Map<StateKey, EventId>;
  if (params.at !== undefined) {
    let position = parseEventsPosition(params.at, 'at');
    if (access.upTo !== null) position = Math.min(position, access.upTo);
    ids = await ctx.store.getStateIdsAtStreamOrdering(roomId, position);
  } else {
    ids = await readableStateIds(ctx, access);
  }
  const memberIds = [...ids].filter(([k]) => splitStateKey(k)[0] === 'm.room.member').map(([, id]) => id);
  const members = (await eventsFor(ctx, memberIds)).filter((e) => {
    const m = e.pdu.content.membership;
    if (params.membership !== undefined && m !== params.membership) return false;
    if (params.notMembership !== undefined && m === params.notMembership) return false;
    return true;
  });
  return serializeFor(ctx, requester)(members);
}

export async function getJoinedMembers(
  ctx: ReaderContext,
  requester: Requester,
  roomId: RoomId,
): Promise<Record<UserId, { display_name?: string; avatar_url?: string }>> {
  await assertUserJoined(
    ctx.store,
    roomId,
    requester.userId,
    'Getting joined members while not being a current member of the room is forbidden.',
  );
  await awaitFullState(ctx, roomId);
  const rows = await ctx.store.getRoomMembers(roomId, ['join']);
  const events = await ctx.store.getEvents(rows.map((r) => r.eventId));
  const joined: Record<UserId, { display_name?: string; avatar_url?: string }> = {};
  for (const row of rows) {
    const content = events.get(row.eventId)?.pdu.content ?? {};
    const member: { display_name?: string; avatar_url?: string } = {};
    if (typeof content.displayname === 'string') member.display_name = content.displayname;
    if (typeof content.avatar_url === 'string') member.avatar_url = content.avatar_url;
    joined[row.userId] = member;
  }
  return joined;
}

export async function getJoinedRooms(ctx: ReaderContext, userId: UserId): Promise<RoomId[]> {
  return (await ctx.store.getRoomsForUser(userId, ['join'])).map((r) => r.roomId);
}
