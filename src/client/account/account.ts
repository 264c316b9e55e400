import type { Router } from '@koa/router';
import { MAX_PASSWORD_LENGTH } from '../../auth/index.js';
import { invalidParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { readJsonObject } from '../../http/json-body.js';
import { allRoomVersions } from '../../protocol/index.js';
import { authenticate, getRequester } from '../requester.js';
import { optionalBool, reauthenticate, requiredString } from './shared.js';

// whoami, password change, deactivation, 3PID listing, capabilities.

export function registerAccountManagementRoutes(router: Router, deps: HttpDeps): void {
  // Services are read when a request arrives, not while routes are defined (shell tests build routers without them).

  router.get('/v3/account/whoami', authenticate(deps, { allowGuest: true }), (ctx) => {
    const r = getRequester(ctx);
    ctx.body = { user_id: r.userId, ...(r.deviceId !== null ? { device_id: r.deviceId } : {}), is_guest: r.isGuest };
  });

  router.post('/v3/account/password', authenticate(deps), async (ctx) => {
    const requester = getRequester(ctx);
    const body = await readJsonObject(ctx);
    const newPassword = requiredString(body, 'new_password');
    if (newPassword.length > MAX_PASSWORD_LENGTH) throw invalidParam('Invalid password');
    const logoutDevices = optionalBool(body, 'logout_devices', true);
    await reauthenticate(deps, requester, 'password', body, ['new_password']);
    await deps.services.users.changePassword(requester, newPassword, logoutDevices);
    ctx.body = {};
  });

  router.post('/v3/account/deactivate', authenticate(deps), async (ctx) => {
    const requester = getRequester(ctx);
    const body = await readJsonObject(ctx, { allowEmpty: true });
    const erase = optionalBool(body, 'erase', false);
    await reauthenticate(deps, requester, 'deactivate', body);
    await deps.services.users.deactivate(requester.userId, erase);
    // We never bind 3PIDs to identity servers, so there is nothing we could unbind.
    ctx.body = { id_server_unbind_result: 'no-support' };
  });

  router.get('/v3/account/3pid', authenticate(deps), (ctx) => {
    ctx.body = { threepids: [] };
  });

  // Nothing is ever bound, so removing or unbinding succeeds trivially; the identity server was not contacted.
  for (const path of ['/v3/account/3pid/delete', '/v3/account/3pid/unbind']) {
    router.post(path, authenticate(deps), async (ctx) => {
      await readJsonObject(ctx);
      ctx.body = { id_server_unbind_result: 'no-support' };
    });
  }

  router.get('/v3/capabilities', authenticate(deps, { allowGuest: true }), (ctx) => {
    const available: Record<string, string> = {};
    for (const v of allRoomVersions()) available[v.id] = 'stable';
    ctx.body = {
      capabilities: {
        'm.change_password': { enabled: deps.config.passwordLoginEnabled !== false },
        'm.room_versions': { default: deps.config.defaultRoomVersion, available },
        'm.set_displayname': { enabled: true },
        'm.set_avatar_url': { enabled: true },
        'm.3pid_changes': { enabled: false },
        'm.get_login_token': { enabled: false },
        'm.profile_fields': { enabled: true },
      },
    };
  });
}
