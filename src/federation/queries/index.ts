import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { registerHierarchyQuery } from './hierarchy.js';
import { registerKeyQueries } from './keys.js';
import { registerMediaQueries } from './media.js';
import { registerOpenIdQuery } from './openid.js';
import { registerProfileDirectoryQueries } from './profile-directory.js';
import { registerPublicRoomsQueries } from './public-rooms.js';

// Federation queries other servers make of us: profiles, aliases, the public room list, space hierarchies
// and E2EE keys.
// Paths are relative to the /_matrix/federation router.

export function registerFederationQueries(router: Router, deps: HttpDeps): void {
  registerProfileDirectoryQueries(router, deps);
  registerPublicRoomsQueries(router, deps);
  registerKeyQueries(router, deps);
  registerMediaQueries(router, deps);
  registerOpenIdQuery(router, deps);
  registerHierarchyQuery(router, deps);
}
export { createRemoteLookups } from './remote-lookups.js';
export type { RemoteLookups } from './remote-lookups.js';
export { createRemoteMediaFetcher } from './remote-media.js';
export type { RemoteMediaDeps } from './remote-media.js';
