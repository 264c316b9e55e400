// Read side of rooms: the room reader service (messages, context, state, members, aliases, directory), client
// serialisation of stored events, history visibility and pagination tokens. Sync and other services use the
// serialiser and visibility helpers through src/rooms/index.ts.

export { createRoomReader, type RoomReader } from './reader.js';
export type { RoomReaderDeps } from './context.js';
export { boundedRoomVersions, serializeEvents, serializeEvent, type SerializeOptions, type RelationsBundler, type SharedLookups } from './serialize.js';
export { filterEventsForUser, membershipHistory, currentHistoryVisibility } from './visibility.js';
export { assertUserInRoomOrVisible, assertUserJoined, currentMembership, type RoomAccess, type AccessOptions } from './access.js';
export { parseEventsPosition, formatRoomToken } from './tokens.js';
export { eventMatchesFilter, ROOM_EVENT_FILTER_SCHEMA, type RoomEventFilter } from './event-filter.js';
export { MAX_MESSAGES_LIMIT, type MessagesParams, type MessagesResponse, type ContextParams, type ContextResponse } from './messages.js';
export type { MembersParams } from './state-reads.js';
export type { DirectoryVisibility, PublicRoomsChunk, PublicRoomsParams, PublicRoomsResponse } from './directory.js';
export { PUBLIC_ROOMS_BODY_SCHEMA, type PublicRoomsBody } from './directory-types.js';
export { readExtras, type RoomReadExtras } from './store-extras.js';
