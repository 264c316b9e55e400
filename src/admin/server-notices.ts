import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { randomBytes } from 'node:crypto';
import { invalidParam, isMatrixError, MatrixError, notFound } from '../errors/index.js';
import type { HttpDeps } from '../http/deps.js';
import { validateBody } from '../http/validate.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Requester } from '../types/requester.js';
import { authenticate } from '../client/requester.js';
import { requireAdmin } from './require-admin.js';

// Server notices (spec "Server Notices", Synapse's POST/PUT /_synapse/admin/v1/send_server_notice[/{txnId}]):
// a system user writes to each user in a private room tagged m.server_notice on the user's side. The user may
// read but not post there (users_default -10, as Synapse does). The room per user is remembered in the system
// user's account data and replaced when the user has left it.

/** Optional config fields (Synapse's server_notices section); absent localpart means notices are off. */
interface ServerNoticeSettings {
  serverNoticesMxidLocalpart?: string;
  serverNoticesMxidDisplayName?: string;
  serverNoticesRoomName?: string;
}

const ROOMS_TYPE = 'org.hearth.server_notice_rooms';

interface NoticeBody {
  user_id: string;
  content: JsonObject;
  type?: string;
  state_key?: string;
}

function internalRequester(userId: UserId): Requester {
  return { userId, deviceId: null, accessTokenId: null, isGuest: false, appserviceId: null };
}

export function registerServerNoticeRoutes(router: Router, deps: HttpDeps): void {
  const settings: ServerNoticeSettings = deps.config;
  const body = validateBody<NoticeBody>({
    type: 'object',
    properties: {
      user_id: { type: 'string' },
      content: { type: 'object' },
      type: { type: 'string', minLength: 1 },
      state_key: { type: 'string' },
    },
    required: ['user_id', 'content'],
  });

  async function ensureSystemUser(localpart: string): Promise<UserId> {
    const userId = `@${localpart}:${deps.config.serverName}` as UserId;
    if ((await deps.services.users.getUser(userId)) === null) {
      await deps.services.users.createAccount({
        localpart,
        passwordHash: null,
        trustedLocalpart: true,
        displayname: settings.serverNoticesMxidDisplayName ?? 'Server Notices',
      });
    }
    return userId;
  }

  async function stillInRoom(system: Requester, roomId: RoomId, target: UserId): Promise<boolean> {
    try {
      const member = (await deps.services.roomReader.stateEvent(system, roomId, 'm.room.member', target)) as JsonObject;
      const membership = member.membership;
      return membership === 'join' || membership === 'invite';
    } catch (e) {
      if (isMatrixError(e) && (e.status === 404 || e.status === 403)) return false;
      throw e;
    }
  }

  async function noticeRoom(system: Requester, target: UserId): Promise<RoomId> {
    const services = deps.services;
    const known = await services.accountData.getGlobal(system, system.userId, ROOMS_TYPE).catch(() => ({}) as JsonObject);
    const existing = known[target];
    if (typeof existing === 'string' && (await stillInRoom(system, existing as RoomId, target))) return existing as RoomId;
    const created = await services.rooms.createRoom(system, {
      preset: 'private_chat',
      name: settings.serverNoticesRoomName ?? 'Server Notices',
      invite: [target],
      power_level_content_override: { users_default: -10 },
    });
    const roomId = created.room_id;
    // The tag is what clients key the notices UI on; set on the user's side, as Synapse does.
    await services.accountData.putTag(internalRequester(target), target, roomId, 'm.server_notice', {});
    await services.accountData.putGlobal(system, system.userId, ROOMS_TYPE, { ...known, [target]: roomId });
    return roomId;
  }

  async function send(ctx: Context, txnId: string) {
    const localpart = settings.serverNoticesMxidLocalpart;
    if (!localpart) throw new MatrixError('M_UNKNOWN', 400, 'Server notices are not enabled on this server');
    const req = body.body(ctx);
    const target = req.user_id as UserId;
    if (!target.startsWith('@') || !target.endsWith(`:${deps.config.serverName}`)) {
      throw invalidParam('Server notices can only be sent to local users');
    }
    const user = await deps.services.users.getUser(target);
    if (!user || user.deactivated) throw notFound('User not found');
    const systemId = await ensureSystemUser(localpart);
    const system = internalRequester(systemId);
    const roomId = await noticeRoom(system, target);
    const type = req.type ?? 'm.room.message';
    const sent =
      req.state_key !== undefined
        ? await deps.services.rooms.sendStateEvent(system, roomId, type, req.state_key, req.content)
        : await deps.services.rooms.sendMessageEvent(system, roomId, type, req.content, txnId);
    ctx.body = { event_id: sent.event_id };
  }

  const guard = [authenticate(deps), requireAdmin(deps)];
  router.post('/v1/send_server_notice', ...guard, body, (ctx) => send(ctx, `notice-${randomBytes(12).toString('hex')}`));
  router.put('/v1/send_server_notice/:txnId', ...guard, body, (ctx) => send(ctx, `notice-${ctx.params.txnId ?? ''}`));
}
