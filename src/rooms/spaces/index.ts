// Spaces: /hierarchy (local rooms, and remote ones through federation), the federation /hierarchy answer and
// /room_summary. Built on the room store; remote look-ups come in as a port from main.ts.
export { roomHierarchy, spaceChildren, type HierarchyParams, type HierarchyResponse, type HierarchyRoom, type StrippedChildEvent } from './hierarchy.js';
export { summarizeRoom, allowedRoomIds, type RoomSummary, type SummaryWithAccess } from './room-summary.js';
export { createSpacesService, type SpacesService, type SpacesDeps, type RoomSummaryResponse } from './service.js';
export type { FetchRemoteHierarchy } from './remote-hierarchy.js';
export type { FederationHierarchy } from './serve-hierarchy.js';
