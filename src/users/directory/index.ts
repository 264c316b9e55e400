// The user directory (POST /user_directory/search).
export { createUserDirectoryService, searchTerms, type UserDirectoryService, type UserDirectoryDeps, type DirectoryResult, type DirectorySearchResponse } from './search.js';
export type { MutualRoomsResponse } from './mutual-rooms.js';
export { createOpenIdService, type OpenIdService, type OpenIdDeps, type OpenIdTokenResponse } from './openid.js';
