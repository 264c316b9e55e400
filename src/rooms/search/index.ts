// Server-side search (POST /v3/search) over the index the relations indexer keeps.
export { createSearchService, type SearchService, type RoomEventsCriteria } from './service.js';
