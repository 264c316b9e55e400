import type { Config } from '../../src/config/types.js';
import { createAuthService } from '../../src/auth/index.js';
import { openStorage, type KnexStorage } from '../../src/storage/knex/index.js';
import type { DeviceId, UserId } from '../../src/types/ids.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// A real server plus a way to mint users with access tokens. Users are created through a second
// connection to the server's own database and the real auth service (tokens are stored hashed exactly as
// login would), so media tests do not depend on the registration endpoints.

export interface MediaTestUser {
  userId: string;
  accessToken: string;
}

export interface MediaTestServer extends TestServer {
  user(localpart: string): Promise<MediaTestUser>;
  /** The server's database, opened a second time (for checking rows). */
  storage: KnexStorage;
}

export async function startMediaTestServer(overrides: Partial<Config> = {}): Promise<MediaTestServer> {
  const server = await startTestServer(overrides);
  const storage = await openStorage(server.config.database, server.logger);
  const auth = createAuthService({ config: server.config, logger: server.logger, storage, now: Date.now });
  return {
    ...server,
    storage,
    async user(localpart) {
      const userId = `@${localpart}:${server.config.serverName}` as UserId;
      const deviceId = `DEV${localpart.toUpperCase()}` as DeviceId;
      await storage.accounts.createUser({ userId, passwordHash: null, createdTs: Date.now() });
      await storage.accounts.ensureDevice(userId, deviceId, null, Date.now());
      const tokens = await auth.issueTokens(userId, deviceId, false);
      return { userId, accessToken: tokens.accessToken };
    },
    async close() {
      await storage.close();
      await server.close();
    },
  };
}
