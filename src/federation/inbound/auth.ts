import type { Context, Middleware, Next } from 'koa';
import { verifyBytes } from '../../crypto/index.js';
import { MatrixError, unauthorized } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { readJsonBody } from '../../http/json-body.js';
import { isValidServerName } from '../../protocol/index.js';
import { parseXMatrixAuthorization, requestSigningBytes } from '../outbound/index.js';

// Inbound request authentication (server-server API, "Request Authentication"): every /_matrix/federation
// request but a few discovery endpoints carries an X-Matrix Authorization header signed by the origin over
// the method, the request target exactly as sent, both server names and the JSON body. Anything that does
// not verify is a 401 M_UNAUTHORIZED; a whitelisted-out origin is a 403.

/**
 * A key's valid_until_ts may have passed on our clock a little before it did on the origin's; within this
 * margin the cached key is still accepted for request signatures instead of forcing a re-fetch.
 */
export const KEY_VALIDITY_SKEW_MS = 5 * 60 * 1000;

const ORIGIN = Symbol('hearth.federation.origin');

export interface ServerAuthOptions {
  /**
   * Runs after the signature verified, before the handler: e.g. a room's server ACL for room-scoped
   * endpoints. Throw a MatrixError (M_FORBIDDEN) to refuse.
   */
  check?: (ctx: Context, origin: string) => void | Promise<void>;
}

function hasBody(ctx: Context): boolean {
  const length = ctx.get('Content-Length');
  if (length !== '') return Number(length) > 0;
  return ctx.get('Transfer-Encoding') !== '';
}

/** The authenticated origin server of the request (requireServerAuth must have run). */
export function getOrigin(ctx: Context): string {
  const origin = (ctx.state as Record<symbol, unknown>)[ORIGIN];
  if (typeof origin !== 'string') throw new Error('requireServerAuth did not run for this route');
  return origin;
}

export function requireServerAuth(deps: HttpDeps, opts: ServerAuthOptions = {}): Middleware {
  const now = deps.now ?? Date.now;
  const ourName = deps.config.serverName;
  return async (ctx: Context, next: Next) => {
    const header = ctx.get('Authorization');
    if (header === '') throw unauthorized('Missing Authorization header');
    const creds = parseXMatrixAuthorization(header);
    if (!creds) throw unauthorized('Malformed X-Matrix Authorization header');
    if (!isValidServerName(creds.origin)) throw unauthorized('Invalid origin in X-Matrix Authorization header');
    if (creds.destination !== undefined && creds.destination !== ourName) {
      throw unauthorized(`Request is for ${creds.destination}, not this server`);
    }
    const federation = deps.services.federation;
    if (!federation.isOriginAllowed(creds.origin)) {
      throw new MatrixError('M_FORBIDDEN', 403, `Federation denied with ${creds.origin}`);
    }
    if (creds.origin === ourName) throw unauthorized('Requests from our own server name are not accepted over federation');
    // The body is part of what was signed. readJsonBody keeps the parsed value, so handlers read it again for free.
    const content = hasBody(ctx) ? await readJsonBody(ctx) : undefined;
    let signed: Buffer;
    try {
      signed = requestSigningBytes({
        method: ctx.method,
        uri: ctx.originalUrl,
        origin: creds.origin,
        destination: creds.destination ?? ourName,
        ...(content !== undefined ? { content } : {}),
      }, { strict: false });
    } catch {
      throw unauthorized('Request body is not canonical JSON, so its signature cannot be checked');
    }
    const key = await federation.keyring.getVerifyKey(creds.origin, creds.key, {
      minimumValidUntilTs: now() - KEY_VALIDITY_SKEW_MS,
      allowOld: false,
    });
    if (!key) throw unauthorized(`Unknown or expired key ${creds.key} for ${creds.origin}`);
    if (!verifyBytes(key.publicKey, signed, creds.sig)) throw unauthorized('Invalid request signature');
    (ctx.state as Record<symbol | string, unknown>)[ORIGIN] = creds.origin;
    (ctx.state as Record<string, unknown>).origin = creds.origin;
    // The origin is evidently up: anything queued for it can go now rather than after its backoff.
    federation.sender.markDestinationUp(creds.origin);
    const origin = creds.origin;
    const handle = async () => {
      if (opts.check) await opts.check(ctx, origin);
      await next();
    };
    const limits = deps.services.federationLimits;
    await (limits !== undefined ? limits.run(origin, handle) : handle());
  };
}
