import type { Context, Middleware } from 'koa';
import { MatrixError, forbidden, missingToken } from '../errors/index.js';
import type { AppserviceEntry } from '../appservice/index.js';
import type { HttpDeps } from '../http/deps.js';
import type { Requester } from '../types/requester.js';

// Authenticating client requests: the access token -> Requester step every authenticated route runs.

const REQUESTER = Symbol('hearth.requester');

export interface AuthenticateOptions {
  /** Guests may call this endpoint (the spec marks such endpoints); otherwise they get M_GUEST_ACCESS_FORBIDDEN. */
  allowGuest?: boolean;
  /** Accept an expired access token (only logout does, so a client can always end its session). */
  allowExpired?: boolean;
}

/**
 * The access token of a request: `Authorization: Bearer <token>`, or `?access_token=` when the operator
 * allows query-string tokens (deprecated by the spec, off by default because URLs end up in logs and
 * Referer headers). Null when there is none.
 */
export function accessTokenOf(ctx: Context, allowQuery: boolean): string | null {
  const header = ctx.get('Authorization');
  if (header !== '') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m?.[1]) return m[1];
    throw new MatrixError('M_MISSING_TOKEN', 401, 'Invalid Authorization header: expected "Bearer <token>"');
  }
  if (allowQuery) {
    const q = ctx.query.access_token;
    const value = Array.isArray(q) ? q[0] : q;
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/**
 * Turns a token into the Requester. This is the seam the appservice work extends: an as_token (with the
 * `user_id` / `device_id` masquerade parameters) is recognised here before falling back to user access tokens.
 */
export async function resolveRequester(deps: HttpDeps, ctx: Context, token: string, opts: AuthenticateOptions = {}): Promise<Requester> {
  const appservice = deps.services.appservices.registry.findByAsToken(token);
  if (appservice !== undefined) return appserviceRequester(deps, ctx, appservice);
  const auth = deps.services.auth;
  const record = await auth.resolveAccessToken(token, { allowExpired: opts.allowExpired ?? false });
  auth.noteSeen(record, { ip: ctx.ip || null, userAgent: ctx.get('User-Agent') || null });
  return auth.requesterFor(record);
}

function queryParam(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  const value = Array.isArray(v) ? v[0] : v;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * An as_token request: the service acts as its sender user, or as `?user_id=` within its users namespace
 * (403 M_FORBIDDEN outside it, /whoami included: mautrix checks its namespace that way), with `?device_id=`
 * (v1.17, MSC4326's unstable name too) naming one of that user's devices.
 */
async function appserviceRequester(deps: HttpDeps, ctx: Context, entry: AppserviceEntry): Promise<Requester> {
  const userId = queryParam(ctx, 'user_id') ?? entry.senderUserId;
  if (userId !== entry.senderUserId && !entry.isUserInNamespace(userId)) {
    throw forbidden(`Application service cannot masquerade as this user (${userId})`);
  }
  const users = deps.services.users;
  if (userId !== entry.senderUserId && (await users.getUser(userId)) === null) {
    throw forbidden(`Application service has not registered this user (${userId})`);
  }
  const deviceId = queryParam(ctx, 'device_id') ?? queryParam(ctx, 'org.matrix.msc3202.device_id') ?? null;
  if (deviceId !== null && !(await users.listDevices(userId)).some((d) => d.device_id === deviceId)) {
    throw new MatrixError('M_UNKNOWN_DEVICE', 400, `Device ${deviceId} does not belong to ${userId}`);
  }
  deps.services.appservices.noteActive(entry.id);
  return { userId, deviceId, accessTokenId: null, isGuest: false, appserviceId: entry.id };
}

/**
 * Route middleware: requires a valid access token and stores the Requester for getRequester(ctx).
 * 401 M_MISSING_TOKEN without one; 401 M_UNKNOWN_TOKEN (soft_logout when expired) for a bad one.
 */
export function authenticate(deps: HttpDeps, opts: AuthenticateOptions = {}): Middleware {
  return async (ctx, next) => {
    const token = accessTokenOf(ctx, deps.config.allowQueryStringAccessTokens);
    if (token === null) throw missingToken('Missing access token');
    const requester = await resolveRequester(deps, ctx, token, opts);
    if (requester.isGuest && !opts.allowGuest) {
      throw new MatrixError('M_GUEST_ACCESS_FORBIDDEN', 403, 'Guest access not allowed');
    }
    (ctx.state as Record<symbol, unknown>)[REQUESTER] = requester;
    await next();
  };
}

/** Like authenticate, but a request without a token passes through with no requester (e.g. POST /register). */
export function authenticateOptional(deps: HttpDeps, opts: AuthenticateOptions = {}): Middleware {
  return async (ctx, next) => {
    const token = accessTokenOf(ctx, deps.config.allowQueryStringAccessTokens);
    if (token !== null) {
      const requester = await resolveRequester(deps, ctx, token, opts);
      if (requester.isGuest && !opts.allowGuest) {
        throw new MatrixError('M_GUEST_ACCESS_FORBIDDEN', 403, 'Guest access not allowed');
      }
      (ctx.state as Record<symbol, unknown>)[REQUESTER] = requester;
    }
    await next();
  };
}

/** The Requester that authenticate() established; a programming error when it did not run. */
export function getRequester(ctx: Context): Requester {
  const r = findRequester(ctx);
  if (!r) throw new Error('getRequester: the authenticate middleware did not run for this route');
  return r;
}

/** The Requester when the request carried a valid token (authenticateOptional), else null. */
export function findRequester(ctx: Context): Requester | null {
  const r = (ctx.state as Record<symbol, unknown>)[REQUESTER];
  return (r as Requester | undefined) ?? null;
}
