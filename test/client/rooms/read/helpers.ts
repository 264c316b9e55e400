import assert from 'node:assert/strict';
import { createAuthService } from '../../../../src/auth/index.js';
import { openStorage, type KnexStorage } from '../../../../src/storage/knex/index.js';
import type { DeviceId, UserId } from '../../../../src/types/ids.js';
import { startTestServer, type TestServer } from '../../../helpers/server.js';

// A real server and a small client for the room read tests. Users are minted through a second connection to
// the server's database with the real auth service, so these tests do not depend on registration flows.

export type Json = Record<string, unknown>;

export interface TestUser {
  userId: string;
  deviceId: string;
  accessToken: string;
}

export interface ReadTestServer extends TestServer {
  user(localpart: string): Promise<TestUser>;
  /** A client request; `as` null sends no token. Returns status and parsed JSON body. */
  call(as: TestUser | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  /** Like call, but asserts a 200 and returns the body. */
  ok(as: TestUser | null, method: string, path: string, body?: unknown): Promise<Json>;
  createRoom(as: TestUser, body?: Json): Promise<string>;
  send(as: TestUser, roomId: string, body: string, extra?: Json): Promise<string>;
  storage: KnexStorage;
}

let txnCounter = 0;

export const enc = encodeURIComponent;

export async function startReadTestServer(): Promise<ReadTestServer> {
  const server = await startTestServer();
  const storage = await openStorage(server.config.database, server.logger);
  const auth = createAuthService({ config: server.config, logger: server.logger, storage, now: Date.now });
  const call = async (as: TestUser | null, method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (as !== null) headers.Authorization = `Bearer ${as.accessToken}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${server.baseUrl}/_matrix/client${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Json };
  };
  const ok = async (as: TestUser | null, method: string, path: string, body?: unknown) => {
    const res = await call(as, method, path, body);
    assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return {
    ...server,
    storage,
    call,
    ok,
    async user(localpart) {
      const userId = `@${localpart}:${server.config.serverName}` as UserId;
      const deviceId = `DEV${localpart.toUpperCase()}` as DeviceId;
      await storage.accounts.createUser({ userId, passwordHash: null, createdTs: Date.now() });
      await storage.accounts.ensureDevice(userId, deviceId, null, Date.now());
      const tokens = await auth.issueTokens(userId, deviceId, false);
      return { userId, deviceId, accessToken: tokens.accessToken };
    },
    async createRoom(as, body = {}) {
      const res = await ok(as, 'POST', '/v3/createRoom', body);
      return res.room_id as string;
    },
    async send(as, roomId, text, extra = {}) {
      const txn = `t${++txnCounter}`;
      const res = await ok(as, 'PUT', `/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, { msgtype: 'm.text', body: text, ...extra });
      return res.event_id as string;
    },
    async close() {
      await storage.close();
      await server.close();
    },
  };
}

/** Bodies of the m.room.message events of a chunk. */
export function bodies(chunk: unknown): string[] {
  return (chunk as Json[])
    .filter((e) => e.type === 'm.room.message')
    .map((e) => (e.content as Json).body as string);
}
