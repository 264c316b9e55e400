import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { registerKeysRoutes } from './keys-routes.js';
import { registerToDeviceRoutes } from './to-device-routes.js';
import { registerCrossSigningRoutes } from './cross-signing-routes.js';
import { registerBackupRoutes } from './backup-routes.js';
import { registerKeyChangesRoute } from './changes-route.js';

// End-to-end encryption routes (paths relative to /_matrix/client): keys, to-device, cross-signing, key backup.
export function registerKeyRoutes(router: Router, deps: HttpDeps): void {
  registerKeysRoutes(router, deps);
  registerKeyChangesRoute(router, deps);
  registerToDeviceRoutes(router, deps);
  registerCrossSigningRoutes(router, deps);
  registerBackupRoutes(router, deps);
}
