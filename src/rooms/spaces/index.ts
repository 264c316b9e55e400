// Spaces over local rooms: /hierarchy and /room_summary. Built on the room store only, so the read routes
// call these functions with the storage they already hold.
export { roomHierarchy, spaceChildren, type HierarchyParams, type HierarchyResponse, type HierarchyRoom, type StrippedChildEvent } from './hierarchy.js';
export { summarizeRoom, allowedRoomIds, type RoomSummary, type SummaryWithAccess } from './room-summary.js';
export { createSpacesService, type SpacesService, type SpacesDeps, type RoomSummaryResponse } from './service.js';
