import type { Context } from 'koa';
import type { UiaResult } from '../../auth/index.js';
import { badJson, missingParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import type { JsonObject } from '../../types/json.js';
import type { Requester } from '../../types/requester.js';

// Helpers shared by the account routes.

/** Runs user-interactive auth for a logged-in user re-proving who they are (password), Synapse-style. */
export async function reauthenticate(
  deps: HttpDeps,
  requester: Requester,
  operation: string,
  body: JsonObject,
  /** Body fields never stored in the session (secrets). */
  secretFields: readonly string[] = [],
): Promise<UiaResult> {
  const { auth: authDict, ...rest } = body;
  for (const f of secretFields) delete rest[f];
  // Application services act for their users without passwords; Synapse exempts them from UIA.
  if (requester.appserviceId !== null) return { sessionId: '', completed: {}, clientParams: rest, serverData: {} };
  const user = await deps.services.users.getUser(requester.userId);
  return deps.services.auth.checkUia({
    operation: `${operation}:${requester.userId}`,
    flows: deps.services.auth.reauthFlows(user),
    auth: authDict,
    clientParams: rest,
    userId: requester.userId,
  });
}

export function optionalString(body: JsonObject, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badJson(`${field} must be a string`);
  return v;
}

export function requiredString(body: JsonObject, field: string): string {
  const v = optionalString(body, field);
  if (v === undefined) throw missingParam(`Missing required field: ${field}`);
  return v;
}

export function optionalBool(body: JsonObject, field: string, fallback: boolean): boolean {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw badJson(`${field} must be a boolean`);
  return v;
}

/** The client's address as the rate limiter keys it (X-Forwarded-For only when the listener trusts it). */
export function clientAddress(ctx: Context): string {
  return ctx.ip || 'unknown';
}
