import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';
import type { Config } from '../../../src/config/types.js';

// A small client for sync integration tests: JSON requests with a user's token against the real server.

export interface Api {
  server: TestServer;
  user: RegisteredUser;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  ok(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
}

export async function startSyncServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  return startTestServer({ ...TEST_USER_CONFIG, ...overrides } as Partial<Config>);
}

export async function apiFor(server: TestServer, localpart: string): Promise<Api> {
  const user = await registerUser(server.baseUrl, server.config, localpart);
  return apiWithToken(server, user);
}

export function apiWithToken(server: TestServer, user: RegisteredUser): Api {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.baseUrl}/_matrix/client${path}`, {
      method,
      headers: { Authorization: `Bearer ${user.accessToken}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  return {
    server,
    user,
    call,
    async ok(method, path, body) {
      const r = await call(method, path, body);
      assert.equal(r.status, 200, `${method} ${path} -> ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
  };
}

let txn = 0;
export async function send(api: Api, roomId: string, body: string): Promise<string> {
  const r = await api.ok('PUT', `/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${++txn}`, { msgtype: 'm.text', body });
  return String(r.event_id);
}

export async function createRoom(api: Api, body: Record<string, unknown> = {}): Promise<string> {
  const r = await api.ok('POST', '/v3/createRoom', body);
  return String(r.room_id);
}

export function q(params: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/* eslint-disable @typescript-eslint/no-explicit-any */
export type J = any;

/** Initial-then-incremental helper: returns the body of GET /sync with these params. */
export async function sync(api: Api, params: Record<string, string | number | boolean | undefined> = {}): Promise<J> {
  return api.ok('GET', `/v3/sync${q({ timeout: 0, ...params })}`);
}
