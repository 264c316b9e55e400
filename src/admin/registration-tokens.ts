import type { Router } from '@koa/router';
import { randomInt } from 'node:crypto';
import { MatrixError, invalidParam, notFound } from '../errors/index.js';
import type { HttpDeps } from '../http/deps.js';
import { readJsonObject } from '../http/json-body.js';
import { queryBool, queryString } from '../http/validate.js';
import type { RegistrationTokenRecord } from '../storage/interfaces/index.js';
import type { JsonObject } from '../types/json.js';
import { authenticate } from '../client/requester.js';
import { requireAdmin } from './require-admin.js';

// Synapse's registration token admin API (/_synapse/admin/v1/registration_tokens), which operators and
// tools like synapse-admin use to hand out sign-up tokens when registration_requires_token is on.

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-';
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;

function view(t: RegistrationTokenRecord): Record<string, unknown> {
  return { token: t.token, uses_allowed: t.usesAllowed, pending: t.pending, completed: t.completed, expiry_time: t.expiryTime };
}

function optionalCount(body: JsonObject, name: string): number | null | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidParam(`${name} must be a non-negative integer or null`);
  return v;
}

export function registerRegistrationTokenRoutes(router: Router, deps: HttpDeps, now: () => number): void {
  const tokens = () => deps.services.auth.registrationTokens;
  const guard = [authenticate(deps), requireAdmin(deps)];

  router.get('/v1/registration_tokens', ...guard, async (ctx) => {
    let list = await tokens().listRegistrationTokens();
    if (queryString(ctx.query, 'valid') !== undefined) {
      const wantValid = queryBool(ctx.query, 'valid', true);
      const t = now();
      const isValid = (r: RegistrationTokenRecord) =>
        (r.expiryTime === null || r.expiryTime > t) && (r.usesAllowed === null || r.pending + r.completed < r.usesAllowed);
      list = list.filter((r) => isValid(r) === wantValid);
    }
    ctx.body = { registration_tokens: list.map(view) };
  });

  router.post('/v1/registration_tokens/new', ...guard, async (ctx) => {
    const body = await readJsonObject(ctx, { allowEmpty: true });
    const usesAllowed = optionalCount(body, 'uses_allowed') ?? null;
    const expiryTime = optionalCount(body, 'expiry_time') ?? null;
    if (expiryTime !== null && expiryTime < now()) throw invalidParam('expiry_time must not be in the past');
    let token = body.token;
    if (token !== undefined) {
      if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) {
        throw invalidParam('token must consist only of A-Z, a-z, 0-9, ".", "_", "~" and "-", at most 64 characters');
      }
      if (body.length !== undefined) throw invalidParam('length must not be given together with token');
    } else {
      const length = optionalCount(body, 'length') ?? 16;
      if (length < 1 || length > 64) throw invalidParam('length must be between 1 and 64');
      token = Array.from({ length }, () => TOKEN_CHARS[randomInt(TOKEN_CHARS.length)]).join('');
    }
    const record: RegistrationTokenRecord = { token, usesAllowed, pending: 0, completed: 0, expiryTime };
    if (!(await tokens().createRegistrationToken(record))) throw new MatrixError('M_INVALID_PARAM', 400, `Token already exists: ${token}`);
    ctx.body = view(record);
  });

  router.get('/v1/registration_tokens/:token', ...guard, async (ctx) => {
    const t = await tokens().getRegistrationToken(ctx.params.token ?? '');
    if (t === null) throw notFound(`No such registration token: ${ctx.params.token ?? ''}`);
    ctx.body = view(t);
  });

  router.put('/v1/registration_tokens/:token', ...guard, async (ctx) => {
    const body = await readJsonObject(ctx);
    const changes: { usesAllowed?: number | null; expiryTime?: number | null } = {};
    const uses = optionalCount(body, 'uses_allowed');
    const expiry = optionalCount(body, 'expiry_time');
    if (uses !== undefined) changes.usesAllowed = uses;
    if (expiry !== undefined) changes.expiryTime = expiry;
    const t = await tokens().updateRegistrationToken(ctx.params.token ?? '', changes);
    if (t === null) throw notFound(`No such registration token: ${ctx.params.token ?? ''}`);
    ctx.body = view(t);
  });

  router.delete('/v1/registration_tokens/:token', ...guard, async (ctx) => {
    if (!(await tokens().deleteRegistrationToken(ctx.params.token ?? ''))) {
      throw notFound(`No such registration token: ${ctx.params.token ?? ''}`);
    }
    ctx.body = {};
  });
}
