// Public surface of the room writer (the ONE place that creates and persists room events) and, through
// read/, of the read side. Other services and the route layers import from here only.
export type { ProfileLookup, PushActionsPort, RemoteMembershipPort, RoomServiceDeps } from './deps.js';
export type { CreateRoomPreset, CreateRoomRequest, JoinOptions, PartialStateOutcome, RemoteRoomInput, RoomService, SendOptions, StateGroupGc } from './types.js';
export { DEFAULT_STATE_GROUP_GC_INTERVAL_MS } from './state-group-gc.js';
export { createRoomService } from './service.js';
export { txnScope } from './send.js';

export * from './read/index.js';
export * from './spaces/index.js';
export * from './relations/index.js';
export * from './search/index.js';
