import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { badJson, MatrixError } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { validateBody } from '../../http/validate.js';
import { readJsonObject } from '../../http/json-body.js';
import { isValidEventId, isValidRoomId, isValidUserId } from '../../protocol/index.js';
import { getOrigin, requireServerAuth } from './auth.js';
import { IGNORE_EDUS } from './edus.js';

// Room endpoints of the server-server API: PUT /v1/send/{txnId} (transactions), make_join / send_join v2,
// make_leave / send_leave v2, make_knock / send_knock, invite v2, and event retrieval (/event, /state, /state_ids,
// /event_auth). Every one is signed (requireServerAuth); the work is in src/federation/rooms.

const transactionSchema = {
  type: 'object',
  required: ['origin', 'origin_server_ts', 'pdus'],
  properties: {
    origin: { type: 'string' },
    origin_server_ts: { type: 'integer' },
    pdus: { type: 'array', maxItems: 50 },
    edus: { type: 'array', maxItems: 100 },
  },
};

interface TransactionBody {
  origin: string;
  origin_server_ts: number;
  pdus: unknown[];
  edus?: unknown[];
}

function param(ctx: Context, name: string): string {
  const value = (ctx.params as Record<string, string | undefined>)[name];
  if (value === undefined) throw new MatrixError('M_MISSING_PARAM', 400, `Missing ${name}`);
  return value;
}

function roomIdParam(ctx: Context): string {
  const roomId = param(ctx, 'roomId');
  if (!isValidRoomId(roomId)) throw new MatrixError('M_INVALID_PARAM', 400, `Invalid room id ${roomId}`);
  return roomId;
}

function eventIdParam(ctx: Context, name = 'eventId'): string {
  const eventId = param(ctx, name);
  if (!isValidEventId(eventId)) throw new MatrixError('M_INVALID_PARAM', 400, `Invalid event id ${eventId}`);
  return eventId;
}

function queryList(ctx: Context, name: string): string[] | null {
  const raw = (ctx.query as Record<string, string | string[] | undefined>)[name];
  if (raw === undefined) return null;
  return Array.isArray(raw) ? raw : [raw];
}

export function registerRoomRoutes(router: Router, deps: HttpDeps): void {
  const auth = requireServerAuth(deps);
  const rooms = () => deps.services.federationRooms;
  // The endpoints the spec lists as protected by the room's server ACL (a denied origin gets 403 M_FORBIDDEN).
  const aclAuth = requireServerAuth(deps, { check: (ctx, origin) => rooms().assertServerAllowed(origin, roomIdParam(ctx)) });

  const txn = validateBody<TransactionBody>(transactionSchema);
  router.put('/v1/send/:txnId', auth, txn, async (ctx) => {
    const origin = getOrigin(ctx);
    const body = txn.body(ctx);
    if (body.origin !== origin) throw new MatrixError('M_FORBIDDEN', 403, 'The transaction origin is not the signing server');
    const txnId = param(ctx, 'txnId');
    const process = async () => {
      // EDUs are ephemeral: handled before the PDUs, never retried on our side, failures only logged.
      for (const edu of body.edus ?? []) {
        if (typeof edu !== 'object' || edu === null || Array.isArray(edu)) continue;
        const { edu_type: type, content } = edu as { edu_type?: unknown; content?: unknown };
        if (typeof type !== 'string') continue;
        try {
          await (deps.services.federationEdus ?? IGNORE_EDUS).handleEdu(origin, { edu_type: type, content });
        } catch (err) {
          deps.logger.warn({ err, origin, type }, 'EDU handler failed');
        }
      }
      return { pdus: await rooms().receivePdus(origin, txnId, body.pdus) };
    };
    // One transaction per origin at a time (a retry of the one in progress shares its answer).
    const limits = deps.services.federationLimits;
    ctx.body = limits !== undefined ? await limits.transaction(origin, txnId, process) : await process();
  });

  for (const kind of ['join', 'leave', 'knock'] as const) {
    router.get(`/v1/make_${kind}/:roomId/:userId`, aclAuth, async (ctx) => {
      const userId = param(ctx, 'userId');
      if (!isValidUserId(userId)) throw new MatrixError('M_INVALID_PARAM', 400, `Invalid user id ${userId}`);
      // make_leave has no ver parameter: the leaving server is already in the room.
      const versions = kind === 'leave' ? null : (queryList(ctx, 'ver') ?? ['1']);
      ctx.body = await rooms().makeMembership(getOrigin(ctx), roomIdParam(ctx), userId, kind, versions);
    });
  }

  router.put('/v2/send_join/:roomId/:eventId', aclAuth, async (ctx) => {
    const roomId = roomIdParam(ctx);
    const eventId = param(ctx, 'eventId');
    const body = await readJsonObject(ctx);
    const pdu = await rooms().sendMembership(getOrigin(ctx), roomId, eventId, 'join', body);
    ctx.body = await rooms().sendJoinResponse(roomId, eventId, pdu, ctx.query.omit_members === 'true');
  });

  router.put('/v2/send_leave/:roomId/:eventId', aclAuth, async (ctx) => {
    const body = await readJsonObject(ctx);
    await rooms().sendMembership(getOrigin(ctx), roomIdParam(ctx), param(ctx, 'eventId'), 'leave', body);
    ctx.body = {};
  });

  router.put('/v1/send_knock/:roomId/:eventId', aclAuth, async (ctx) => {
    const roomId = roomIdParam(ctx);
    const body = await readJsonObject(ctx);
    await rooms().sendMembership(getOrigin(ctx), roomId, param(ctx, 'eventId'), 'knock', body);
    ctx.body = { knock_room_state: await rooms().knockRoomState(roomId) };
  });

  router.put('/v2/invite/:roomId/:eventId', aclAuth, async (ctx) => {
    const body = await readJsonObject(ctx);
    ctx.body = await rooms().receiveInvite(getOrigin(ctx), roomIdParam(ctx), param(ctx, 'eventId'), body);
  });

  router.get('/v1/event/:eventId', auth, async (ctx) => {
    ctx.body = await rooms().getEvent(getOrigin(ctx), eventIdParam(ctx));
  });

  const atEvent = (ctx: Context): string => {
    const id = queryList(ctx, 'event_id')?.[0];
    if (id === undefined) throw new MatrixError('M_MISSING_PARAM', 400, 'Missing event_id');
    if (!isValidEventId(id)) throw badJson(`Invalid event id ${id}`);
    return id;
  };
  router.get('/v1/state/:roomId', aclAuth, async (ctx) => {
    ctx.body = await rooms().getState(getOrigin(ctx), roomIdParam(ctx), atEvent(ctx));
  });
  router.get('/v1/state_ids/:roomId', aclAuth, async (ctx) => {
    ctx.body = await rooms().getStateIds(getOrigin(ctx), roomIdParam(ctx), atEvent(ctx));
  });
  router.get('/v1/event_auth/:roomId/:eventId', aclAuth, async (ctx) => {
    ctx.body = await rooms().getEventAuth(getOrigin(ctx), roomIdParam(ctx), eventIdParam(ctx));
  });
  router.get('/v1/backfill/:roomId', aclAuth, async (ctx) => {
    const from = queryList(ctx, 'v');
    if (from === null) throw new MatrixError('M_MISSING_PARAM', 400, 'Missing v');
    const rawLimit = queryList(ctx, 'limit')?.[0];
    if (rawLimit === undefined) throw new MatrixError('M_MISSING_PARAM', 400, 'Missing limit');
    if (!/^\d{1,9}$/.test(rawLimit)) throw new MatrixError('M_INVALID_PARAM', 400, 'limit must be a non-negative integer');
    ctx.body = await rooms().backfill(getOrigin(ctx), roomIdParam(ctx), from, Number(rawLimit));
  });
  router.post('/v1/get_missing_events/:roomId', aclAuth, async (ctx) => {
    const roomId = roomIdParam(ctx);
    ctx.body = await rooms().getMissingEvents(getOrigin(ctx), roomId, await readJsonObject(ctx));
  });
}
