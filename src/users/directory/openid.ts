import { createHash, randomBytes } from 'node:crypto';
import { forbidden } from '../../errors/index.js';
import type { Storage } from '../../storage/interfaces/index.js';
import type { UserId } from '../../types/ids.js';

// OpenID (spec "OpenID"): a client asks for a short-lived token that a third party (an integration manager,
// a widget host) verifies with our federation API's GET /openid/userinfo, proving the user's identity without
// seeing their access token. One hour of validity, like Synapse.

export interface OpenIdDeps {
  storage: Storage;
  serverName: string;
  now: () => number;
}

export interface OpenIdTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  matrix_server_name: string;
  expires_in: number;
}

export interface OpenIdService {
  requestToken(requester: UserId, userId: string): Promise<OpenIdTokenResponse>;
  /** For /_matrix/federation/v1/openid/userinfo: the token's user, or undefined when unknown or expired. */
  userForToken(token: string): Promise<UserId | undefined>;
}

const LIFETIME_MS = 60 * 60 * 1000;

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export function createOpenIdService(deps: OpenIdDeps): OpenIdService {
  return {
    async requestToken(requester, userId) {
      if (requester !== userId) throw forbidden('Cannot request tokens for other users.');
      const token = randomBytes(24).toString('base64url');
      const now = deps.now();
      await deps.storage.directory.addOpenIdToken(digest(token), requester, now + LIFETIME_MS, now);
      return { access_token: token, token_type: 'Bearer', matrix_server_name: deps.serverName, expires_in: LIFETIME_MS / 1000 };
    },
    userForToken: (token) => deps.storage.directory.getOpenIdTokenUser(digest(token), deps.now()),
  };
}
