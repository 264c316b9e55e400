// Public surface of sync/: the /sync service with its notifier, filters, typing, receipts, read markers and
// presence, and the extension registry later work uses to add sections (extensions.ts).
export { createSyncService } from './service.js';
export type { SyncService, SyncServiceDeps, SyncParams } from './service.js';
export type { SyncExtension, SyncExtensionContext, SyncExtensionResult, DefaultAccountData, JoinedRoomDecorator } from './extensions.js';
export type { SyncResponseBody } from './types.js';
export { SYNC_FILTER_SCHEMA } from './filter.js';
export type { SyncFilterJson, EventFilter, RoomEventFilter } from './filter.js';
export { parseSyncToken, formatSyncToken } from './tokens.js';
export type { SyncPositions } from './tokens.js';
export { MAX_TYPING_TIMEOUT_MS } from './typing.js';
export type { LocalEphemeralChange, LocalEphemeralListener, RemotePresence } from './federated-ephemeral.js';
