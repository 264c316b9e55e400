import type { AccountDataRow, ReceiptRow } from '../storage/interfaces/index.js';
import type { RoomId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { SyncExtensionRegistry } from './extensions.js';
import { eventMatches, filterExcludesAll } from './filter.js';
import { buildStrippedState } from './invited-room.js';
import { buildJoinedRoom, buildLeftRoom, type SharedRoomData } from './joined-room.js';
import { buildPresence } from './presence-section.js';
import { inWaves } from './batch-loader.js';
import { batchedSyncReads } from './batched-reads.js';
import { batchedSerializer } from './serialize.js';
import { groupByRoom } from './room-ephemeral.js';
import { computeRoomLists } from './room-lists.js';
import type { LazyMemberCache } from './room-state.js';
import { formatSyncToken } from './tokens.js';
import type { RoomLists, SyncComputation, SyncResponseBody } from './types.js';
import { ignoredUserIds, invitesBlocked } from './ignored-users.js';

// One /sync computation from `since` to `to` (no waiting: service.ts loops over this for long-polls).

export interface BuildSyncDeps {
  extensions: SyncExtensionRegistry;
  lazyMembers: LazyMemberCache;
  now: () => number;
  forgottenRooms(userId: string): Promise<Set<RoomId>>;
}

export interface BuiltSync {
  body: SyncResponseBody;
  /** Whether anything is worth returning an incremental long-poll for. */
  hasUpdates: boolean;
  /** Rooms joined at `to`: the long-poll waits on them. */
  joinedRooms: RoomId[];
}

const EVERYTHING = -1;
/**
 * Rooms whose sections are built at once. Their reads coalesce into one statement per kind; the bound keeps
 * what a sync over tens of thousands of rooms holds in flight (and waits on) at one time.
 */
const ROOMS_PER_WAVE = 1_000;

/** The computation as side-by-side room builders use it: room reads and serialization coalesced. */
function batchedComputation(c: SyncComputation): SyncComputation {
  const reads = batchedSyncReads(c.reads);
  return { ...c, reads, rooms: reads.store, serializer: batchedSerializer(c.serializer, c.requester, reads) };
}

export async function buildSync(c: SyncComputation, deps: BuildSyncDeps): Promise<BuiltSync> {
  const userId = c.requester.userId;
  const since = c.since;
  const incremental = since !== null && !c.fullState;
  const lists = await computeRoomLists(c, () => deps.forgottenRooms(userId));
  // The extensions (to-device, key counts, device lists) and presence need only the room lists: their reads
  // run beside the rooms' (on PostgreSQL each read is a round trip, so a woken sync waits for the longer chain
  // only). Awaited below; a failure is reported there, not first as an unhandled rejection.
  const extensions = deps.extensions.all();
  const extensionsBuilt = Promise.all(extensions.map((ext) => ext.build(extensionContext(c, lists, ext.name))));
  const presenceBuilt = buildPresence(c, lists.allJoined, deps.now());
  extensionsBuilt.catch(() => undefined);
  presenceBuilt.catch(() => undefined);

  const fullRooms = lists.joinedFull.map((r) => r.roomId);
  const incRooms = lists.joinedIncremental.map((r) => r.roomId);
  // Which incremental rooms have new events, read beside the account data and receipts below.
  const changedRooms =
    incRooms.length > 0 && since !== null && since.events < c.to.events ? c.reads.roomsChangedSince(incRooms, since.events, c.to.events) : Promise.resolve(new Set<RoomId>());
  changedRooms.catch(() => undefined);

  // Account data: everything for initial/full syncs (and when a room is new to the client), else the changes
  // (no query at all when the stream has not moved).
  const accountFrom = incremental && lists.newlyJoined.length === 0 ? since.accountData : EVERYTHING;
  const accountRows: AccountDataRow[] =
    accountFrom >= c.to.accountData ? [] : await c.userData.getAllAccountData(userId, { from: accountFrom, to: c.to.accountData });
  const newlyJoined = new Set(lists.newlyJoined);
  const accountByRoom = groupByRoom(
    incremental && newlyJoined.size > 0
      ? accountRows.filter((r) => r.streamId > since.accountData || newlyJoined.has(r.roomId))
      : accountRows,
  );

  const receipts: ReceiptRow[] = [];
  if (fullRooms.length > 0) receipts.push(...(await c.userData.getReceipts(fullRooms, { from: EVERYTHING, to: c.to.receipts })));
  if (incRooms.length > 0 && since !== null && since.receipts < c.to.receipts) {
    receipts.push(...(await c.userData.getReceipts(incRooms, { from: since.receipts, to: c.to.receipts })));
  }
  const shared: SharedRoomData = {
    receipts: groupByRoom(receipts),
    accountData: accountByRoom,
    typingChanged: new Set(since === null ? [] : c.typing.changedRooms(incRooms, since.typing, c.to.typing)),
    lazyMembers: deps.lazyMembers,
  };

  const join: Record<RoomId, NonNullable<Awaited<ReturnType<typeof buildJoinedRoom>>>> = {};
  const changed = await changedRooms;
  const incToBuild =
    since === null
      ? []
      : lists.joinedIncremental.filter((row) => changed.has(row.roomId) || shared.typingChanged.has(row.roomId) || shared.receipts.has(row.roomId) || shared.accountData.has(row.roomId));
  // The decorators (unread counts) read for every room that may get a section while the sections are built.
  const mayHaveSection = [...fullRooms, ...incToBuild.map((row) => row.roomId)];
  const decorations =
    mayHaveSection.length === 0
      ? []
      : deps.extensions.joinedRoomDecorators.map((d) => d.prepare({ requester: c.requester, filter: c.filter, roomIds: mayHaveSection, toEvents: c.to.events }));
  for (const d of decorations) d.catch(() => undefined);
  // Full sections (an initial sync's every room) are built side by side over batched reads; the sections
  // still go into the response in the order of the room lists.
  const batched = lists.joinedFull.length + lists.left.length > 1 ? batchedComputation(c) : c;
  const fullSections = await inWaves(lists.joinedFull, ROOMS_PER_WAVE, (row) => buildJoinedRoom(batched, row, true, shared));
  lists.joinedFull.forEach((row, i) => {
    const section = fullSections[i];
    if (section) join[row.roomId] = section;
  });
  for (const row of incToBuild) {
    const section = await buildJoinedRoom(c, row, false, shared);
    if (section) join[row.roomId] = section;
  }

  const invite: Record<RoomId, { invite_state: { events: JsonObject[] } }> = {};
  const ignored = await ignoredUserIds(c);
  // Users who block invites (m.invite_permission_config) get none served; unblocking brings them back.
  const invitesHidden = lists.invited.length > 0 && (await invitesBlocked(c));
  for (const row of lists.invited) {
    if (invitesHidden) break;
    // Invites from ignored users are not shown (spec "Ignoring Users").
    if (ignored.size > 0 && ignored.has((await c.rooms.getEvent(row.eventId))?.pdu.sender ?? '')) continue;
    invite[row.roomId] = { invite_state: { events: await buildStrippedState(c, row, 'invite_room_state') } };
  }
  const knock: Record<RoomId, { knock_state: { events: JsonObject[] } }> = {};
  for (const row of lists.knocked) knock[row.roomId] = { knock_state: { events: await buildStrippedState(c, row, 'knock_room_state') } };
  const leave: Record<RoomId, Awaited<ReturnType<typeof buildLeftRoom>>> = {};
  const newlyLeft = new Set(lists.newlyLeft);
  const leftSections = await inWaves(lists.left, ROOMS_PER_WAVE, (row) => buildLeftRoom(batched, row, newlyLeft.has(row.roomId), shared));
  lists.left.forEach((row, i) => {
    const section = leftSections[i];
    if (section) leave[row.roomId] = section;
  });

  const globalFilter = c.filter.account_data;
  let globalAccountData = filterExcludesAll(globalFilter)
    ? []
    : (accountByRoom.get('') ?? [])
        .filter((r) => !incremental || r.streamId > since.accountData)
        .filter((r) => eventMatches(globalFilter, { type: r.type, sender: userId }))
        .map((r): JsonObject => ({ type: r.type, content: r.content }));
  if (!incremental && !filterExcludesAll(globalFilter)) {
    const stored = new Set((accountByRoom.get('') ?? []).map((r) => r.type));
    for (const d of deps.extensions.defaultAccountData) {
      if (stored.has(d.type) || !eventMatches(globalFilter, { type: d.type, sender: userId })) continue;
      globalAccountData.push({ type: d.type, content: await d.content(userId) });
    }
  }
  if (globalFilter?.limit !== undefined) globalAccountData = globalAccountData.slice(0, globalFilter.limit);
  for (const apply of await Promise.all(decorations)) apply(join);

  const presence = await presenceBuilt;

  const body: SyncResponseBody = {
    next_batch: formatSyncToken(c.to, deps.extensions.names()),
    rooms: { join, invite, knock, leave },
    account_data: { events: globalAccountData },
    presence: { events: presence },
  };
  let extensionUpdates = false;
  let resumeAt: Record<string, number> | undefined;
  for (const [i, result] of (await extensionsBuilt).entries()) {
    const ext = extensions[i] as (typeof extensions)[number];
    Object.assign(body, result.fields);
    extensionUpdates ||= result.hasUpdates;
    if (result.position !== undefined && result.position !== c.to.extra[ext.name]) (resumeAt ??= {})[ext.name] = result.position;
  }
  if (resumeAt !== undefined) body.next_batch = formatSyncToken({ ...c.to, extra: { ...c.to.extra, ...resumeAt } }, deps.extensions.names());
  const hasUpdates =
    extensionUpdates ||
    Object.keys(join).length > 0 ||
    Object.keys(invite).length > 0 ||
    Object.keys(knock).length > 0 ||
    Object.keys(leave).length > 0 ||
    globalAccountData.length > 0 ||
    presence.length > 0;
  return { body, hasUpdates, joinedRooms: lists.allJoined };
}

function extensionContext(c: SyncComputation, lists: RoomLists, name: string) {
  return {
    requester: c.requester,
    filter: c.filter,
    since: c.since === null ? null : (c.since.extra[name] ?? 0),
    to: c.to.extra[name] ?? 0,
    fullState: c.fullState,
    joinedRooms: lists.allJoined,
    newlyJoinedRooms: lists.newlyJoined,
    newlyLeftRooms: lists.newlyLeft,
    sinceEvents: c.since?.events ?? null,
    toEvents: c.to.events,
    membershipChanges: lists.changes,
    shared: c.reads,
  };
}
