import type { Router } from '@koa/router';
import type { Config } from '../../config/types.js';
import { signJson, type SigningKey } from '../../crypto/index.js';
import type { HttpDeps } from '../../http/deps.js';

// Server-Server API, "Publishing Keys": GET /_matrix/key/v2/server returns our keys, self-signed with
// every current key so a notary or peer can check the document with whichever key it trusts.

/** Receivers use the lesser of valid_until_ts and now + 7 days, so promising more is pointless. */
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;

export interface ServerKeysDocument {
  [key: string]: unknown;
  server_name: string;
  verify_keys: Record<string, { key: string }>;
  old_verify_keys: Record<string, { key: string; expired_ts: number }>;
  valid_until_ts: number;
  signatures: Record<string, Record<string, string>>;
}

export function serverKeysDocument(
  config: Pick<Config, 'serverName' | 'oldSigningKeys' | 'keyRefreshIntervalMs'>,
  signingKeys: readonly SigningKey[],
  nowMs: number,
): ServerKeysDocument {
  if (signingKeys.length === 0) throw new Error('no signing key to publish');
  const verifyKeys: Record<string, { key: string }> = {};
  for (const k of signingKeys) verifyKeys[k.keyId] = { key: k.publicKeyBase64 };
  const oldVerifyKeys: Record<string, { key: string; expired_ts: number }> = {};
  for (const [keyId, old] of Object.entries(config.oldSigningKeys)) {
    // A key still in use is not "old", whatever the config says.
    if (!(keyId in verifyKeys)) oldVerifyKeys[keyId] = { key: old.key, expired_ts: old.expiredTs };
  }
  const validity = Math.min(Math.max(0, config.keyRefreshIntervalMs), MAX_KEY_VALIDITY_MS);
  let doc: Record<string, unknown> = {
    server_name: config.serverName,
    verify_keys: verifyKeys,
    old_verify_keys: oldVerifyKeys,
    valid_until_ts: nowMs + validity,
  };
  for (const key of signingKeys) doc = signJson(doc, config.serverName, key);
  return doc as ServerKeysDocument;
}

/**
 * GET /_matrix/key/v2/server and the deprecated /_matrix/key/v2/server/{keyId}, which servers still
 * send; like Synapse we answer it with the full document, since the caller can pick the key it wants.
 * Registered on a router mounted at /_matrix/key.
 */
export function registerKeyServerRoutes(router: Router, deps: HttpDeps): void {
  const now = deps.now ?? Date.now;
  const handler = (ctx: { body: unknown }) => {
    ctx.body = serverKeysDocument(deps.config, deps.signingKeys, now());
  };
  router.get('/v2/server', handler);
  router.get('/v2/server/:keyId', handler);
}
