import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { queryString, validateBody } from '../../http/validate.js';
import { missingParam } from '../../errors/index.js';
import type { JsonObject } from '../../types/json.js';
import type { KeyBackupData, RoomsKeyBackup } from '../../users/e2e/index.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from './paths.js';
import {
  backupVersionCreateSchema,
  backupVersionUpdateSchema,
  keyBackupDataSchema,
  roomKeyBackupSchema,
  roomsKeyBackupSchema,
} from './schemas.js';
import type { Context } from 'koa';

// Server-side key backup: /room_keys/version[/{version}] and /room_keys/keys[/{roomId}[/{sessionId}]].

function versionParam(ctx: Context): string {
  const v = queryString(ctx.query, 'version');
  if (v === undefined || v === '') throw missingParam('Missing query parameter: version');
  return v;
}

export function registerBackupRoutes(router: Router, deps: HttpDeps): void {
  const e2e = () => deps.services.e2e;
  const auth = authenticate(deps);

  const create = validateBody<{ algorithm: string; auth_data: JsonObject }>(backupVersionCreateSchema);
  router.post(clientPaths('/room_keys/version'), auth, create, async (ctx) => {
    const body = create.body(ctx);
    ctx.body = await e2e().createBackupVersion(getRequester(ctx), body.algorithm, body.auth_data);
  });
  router.get(clientPaths('/room_keys/version'), auth, async (ctx) => {
    ctx.body = await e2e().getBackupVersion(getRequester(ctx));
  });
  router.get(clientPaths('/room_keys/version/:version'), auth, async (ctx) => {
    ctx.body = await e2e().getBackupVersion(getRequester(ctx), (ctx.params as { version: string }).version);
  });
  const update = validateBody<{ algorithm: string; auth_data: JsonObject; version?: string }>(backupVersionUpdateSchema);
  router.put(clientPaths('/room_keys/version/:version'), auth, update, async (ctx) => {
    await e2e().updateBackupVersion(getRequester(ctx), (ctx.params as { version: string }).version, update.body(ctx));
    ctx.body = {};
  });
  router.delete(clientPaths('/room_keys/version/:version'), auth, async (ctx) => {
    await e2e().deleteBackupVersion(getRequester(ctx), (ctx.params as { version: string }).version);
    ctx.body = {};
  });

  const putAll = validateBody<{ rooms: RoomsKeyBackup }>(roomsKeyBackupSchema);
  router.put(clientPaths('/room_keys/keys'), auth, putAll, async (ctx) => {
    ctx.body = await e2e().putRoomKeys(getRequester(ctx), versionParam(ctx), putAll.body(ctx).rooms);
  });
  router.get(clientPaths('/room_keys/keys'), auth, async (ctx) => {
    ctx.body = await e2e().getAllRoomKeys(getRequester(ctx), versionParam(ctx));
  });
  router.delete(clientPaths('/room_keys/keys'), auth, async (ctx) => {
    ctx.body = await e2e().deleteRoomKeys(getRequester(ctx), versionParam(ctx));
  });

  const putRoom = validateBody<{ sessions: Record<string, KeyBackupData> }>(roomKeyBackupSchema);
  router.put(clientPaths('/room_keys/keys/:roomId'), auth, putRoom, async (ctx) => {
    const { roomId } = ctx.params as { roomId: string };
    ctx.body = await e2e().putRoomKeys(getRequester(ctx), versionParam(ctx), { [roomId]: putRoom.body(ctx) });
  });
  router.get(clientPaths('/room_keys/keys/:roomId'), auth, async (ctx) => {
    const { roomId } = ctx.params as { roomId: string };
    ctx.body = await e2e().getRoomKeysOfRoom(getRequester(ctx), versionParam(ctx), roomId);
  });
  router.delete(clientPaths('/room_keys/keys/:roomId'), auth, async (ctx) => {
    const { roomId } = ctx.params as { roomId: string };
    ctx.body = await e2e().deleteRoomKeys(getRequester(ctx), versionParam(ctx), roomId);
  });

  const putSession = validateBody<KeyBackupData>(keyBackupDataSchema);
  router.put(clientPaths('/room_keys/keys/:roomId/:sessionId'), auth, putSession, async (ctx) => {
    const { roomId, sessionId } = ctx.params as { roomId: string; sessionId: string };
    ctx.body = await e2e().putRoomKeys(getRequester(ctx), versionParam(ctx), { [roomId]: { sessions: { [sessionId]: putSession.body(ctx) } } });
  });
  router.get(clientPaths('/room_keys/keys/:roomId/:sessionId'), auth, async (ctx) => {
    const { roomId, sessionId } = ctx.params as { roomId: string; sessionId: string };
    ctx.body = await e2e().getRoomKey(getRequester(ctx), versionParam(ctx), roomId, sessionId);
  });
  router.delete(clientPaths('/room_keys/keys/:roomId/:sessionId'), auth, async (ctx) => {
    const { roomId, sessionId } = ctx.params as { roomId: string; sessionId: string };
    ctx.body = await e2e().deleteRoomKeys(getRequester(ctx), versionParam(ctx), roomId, sessionId);
  });
}
