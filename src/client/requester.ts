import type { Context, Middleware } from 'koa';
import { MatrixError, missingToken } from '../errors/index.js';
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
  const auth = deps.services.auth;
  const record = await auth.resolveAccessToken(token, { allowExpired: opts.allowExpired ?? false });
  auth.noteSeen(record, { ip: ctx.ip || null, userAgent: ctx.get('User-Agent') || null });
  return auth.requesterFor(record);
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
