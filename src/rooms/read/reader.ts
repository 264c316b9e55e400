import type { ClientEvent } from '../../protocol/index.js';
import type { Direction } from '../../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Requester } from '../../types/requester.js';
import { createAlias, deleteAlias, resolveAlias, roomAliases } from './aliases.js';
import { readerContext, type RoomReaderDeps } from './context.js';
import {
  getDirectoryVisibility,
  publicRooms,
  setDirectoryVisibility,
  type DirectoryVisibility,
  type PublicRoomsParams,
  type PublicRoomsResponse,
} from './directory.js';
import { context, messages, type ContextParams, type ContextResponse, type MessagesParams, type MessagesResponse } from './messages.js';
import { getEvent, getJoinedMembers, getJoinedRooms, getMembers, getState, getStateEvent, type MembersParams } from './state-reads.js';
import { timestampToEvent } from './timestamp.js';

// The room reader: everything clients read about rooms, with access and visibility checks. Every method
// throws MatrixError for the client's mistakes.

export interface RoomReader {
  messages(requester: Requester, roomId: RoomId, params: MessagesParams): Promise<MessagesResponse>;
  context(requester: Requester, roomId: RoomId, eventId: EventId, params: ContextParams): Promise<ContextResponse>;
  event(requester: Requester, roomId: RoomId, eventId: EventId): Promise<ClientEvent>;
  state(requester: Requester, roomId: RoomId): Promise<ClientEvent[]>;
  stateEvent(
    requester: Requester,
    roomId: RoomId,
    type: string,
    stateKey: string,
    format?: 'content' | 'event',
  ): Promise<JsonObject | ClientEvent>;
  members(requester: Requester, roomId: RoomId, params?: MembersParams): Promise<ClientEvent[]>;
  joinedMembers(requester: Requester, roomId: RoomId): Promise<Record<UserId, { display_name?: string; avatar_url?: string }>>;
  joinedRooms(requester: Requester): Promise<RoomId[]>;
  resolveAlias(alias: string): Promise<{ room_id: RoomId; servers: string[] }>;
  createAlias(requester: Requester, alias: string, roomId: RoomId): Promise<void>;
  deleteAlias(requester: Requester, alias: string): Promise<void>;
  roomAliases(requester: Requester, roomId: RoomId): Promise<string[]>;
  directoryVisibility(roomId: RoomId): Promise<{ visibility: DirectoryVisibility }>;
  setDirectoryVisibility(requester: Requester, roomId: RoomId, visibility: DirectoryVisibility): Promise<void>;
  publicRooms(params: PublicRoomsParams): Promise<PublicRoomsResponse>;
  timestampToEvent(requester: Requester, roomId: RoomId, ts: number, dir: Direction): Promise<{ event_id: EventId; origin_server_ts: number }>;
}

export function createRoomReader(deps: RoomReaderDeps): RoomReader {
  const ctx = readerContext(deps);
  return {
    messages: (requester, roomId, params) => messages(ctx, requester, roomId, params),
    context: (requester, roomId, eventId, params) => context(ctx, requester, roomId, eventId, params),
    event: (requester, roomId, eventId) => getEvent(ctx, requester, roomId, eventId),
    state: (requester, roomId) => getState(ctx, requester, roomId),
    stateEvent: (requester, roomId, type, stateKey, format) => getStateEvent(ctx, requester, roomId, type, stateKey, format),
    members: (requester, roomId, params = {}) => getMembers(ctx, requester, roomId, params),
    joinedMembers: (requester, roomId) => getJoinedMembers(ctx, requester, roomId),
    joinedRooms: (requester) => getJoinedRooms(ctx, requester.userId),
    resolveAlias: (alias) => resolveAlias(ctx, alias),
    createAlias: (requester, alias, roomId) => createAlias(ctx, requester, alias, roomId),
    deleteAlias: (requester, alias) => deleteAlias(ctx, requester, alias),
    roomAliases: (requester, roomId) => roomAliases(ctx, requester, roomId),
    directoryVisibility: (roomId) => getDirectoryVisibility(ctx, roomId),
    setDirectoryVisibility: (requester, roomId, visibility) => setDirectoryVisibility(ctx, requester, roomId, visibility),
    publicRooms: (params) => publicRooms(ctx, params),
    timestampToEvent: (requester, roomId, ts, dir) => timestampToEvent(ctx, requester, roomId, ts, dir),
  };
}
