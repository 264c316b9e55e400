import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Router } from '@koa/router';
import { MatrixError, badJson, forbidden } from '../errors/index.js';
import type { HttpDeps } from '../http/deps.js';
import { readJsonObject } from '../http/json-body.js';
import type { JsonObject } from '../types/json.js';

// Shared-secret registration, as Synapse's /_synapse/admin/v1/register (used by register_new_matrix_user,
// our `hearth register-user`, and countless deployment scripts): GET a nonce, then POST the user with
// mac = hex HMAC-SHA1(secret, nonce \0 username \0 password \0 admin|notadmin [\0 user_type]).

const USER_TYPES = new Set(['support', 'bot']);
const MAX_FIELD_LENGTH = 512;

export function registrationMac(
  secret: string,
  f: { nonce: string; username: string; password: string; admin: boolean; userType?: string | null },
): string {
  const h = createHmac('sha1', Buffer.from(secret, 'utf8'));
  h.update(f.nonce, 'utf8');
  h.update('\0');
  h.update(f.username, 'utf8');
  h.update('\0');
  h.update(f.password, 'utf8');
  h.update('\0');
  h.update(f.admin ? 'admin' : 'notadmin');
  if (f.userType) {
    h.update('\0');
    h.update(f.userType, 'utf8');
  }
  return h.digest('hex');
}

function field(body: JsonObject, name: string): string {
  const v = body[name];
  if (v === undefined) throw badJson(`${name} must be specified`);
  if (typeof v !== 'string' || v.length > MAX_FIELD_LENGTH || v.includes('\0')) {
    throw new MatrixError('M_INVALID_PARAM', 400, `Invalid ${name}`);
  }
  return v;
}

function macMatches(given: string, want: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(want, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function registerSharedSecretRoutes(router: Router, deps: HttpDeps): void {
  // Services are read when a request arrives, not while routes are defined (shell tests build routers without them).
  const secret = deps.config.registrationSharedSecret;
  const notEnabled = () => new MatrixError('M_UNKNOWN', 400, 'Shared secret registration is not enabled');

  router.get('/v1/register', (ctx) => {
    if (!secret) throw notEnabled();
    ctx.body = { nonce: deps.services.auth.createRegistrationNonce() };
  });

  router.post('/v1/register', async (ctx) => {
    if (!secret) throw notEnabled();
    const body = await readJsonObject(ctx);
    const nonce = body.nonce;
    if (nonce === undefined) throw badJson('nonce must be specified');
    // Consumed before anything else is checked, so a nonce never serves two attempts.
    if (typeof nonce !== 'string' || !deps.services.auth.consumeRegistrationNonce(nonce)) {
      throw new MatrixError('M_UNKNOWN', 400, 'unrecognised nonce');
    }
    const username = field(body, 'username');
    const password = field(body, 'password');
    const admin = body.admin === true;
    const userType = body.user_type ?? null;
    if (userType !== null && (typeof userType !== 'string' || !USER_TYPES.has(userType))) {
      throw new MatrixError('M_INVALID_PARAM', 400, 'Invalid user type');
    }
    const displayname = body.displayname;
    if (displayname !== undefined && displayname !== null && typeof displayname !== 'string') throw badJson('displayname must be a string');
    const mac = body.mac;
    if (typeof mac !== 'string') throw badJson('mac must be specified');
    if (!macMatches(mac, registrationMac(secret, { nonce, username, password, admin, userType }))) {
      throw forbidden('HMAC incorrect');
    }

    const localpart = username.toLowerCase();
    const userId = await deps.services.users.createAccount({
      localpart,
      passwordHash: await deps.services.auth.hashPassword(password),
      admin,
      userType,
      ...(typeof displayname === 'string' ? { displayname } : {}),
    });
    const session = await deps.services.users.startSession(userId, { refreshable: body.refresh_token === true });
    ctx.body = { ...session, home_server: deps.config.serverName };
  });
}
