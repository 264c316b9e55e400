import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/types.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_USER_CONFIG } from '../helpers/users.js';

// A test server with one application service registration written from the given fields (YAML is JSON's
// superset, so the registration is written as JSON), plus a small as_token HTTP helper.

export interface AsServer {
  server: TestServer;
  asToken: string;
  /** A request with the as_token (`path` may carry ?user_id= etc.). */
  asCall(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { ...(token !== null ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

export async function startAsServer(registration: Record<string, unknown>, overrides: Partial<Config> = {}): Promise<AsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-as-reg-'));
  const asToken = String(registration.as_token ?? `as-${Math.random().toString(36).slice(2)}`);
  const reg = {
    id: 'bridge',
    url: null,
    hs_token: `hs-${Math.random().toString(36).slice(2)}`,
    sender_localpart: 'bridgebot',
    namespaces: { users: [{ regex: '@_br_.*:localhost', exclusive: true }], aliases: [], rooms: [] },
    ...registration,
    as_token: asToken,
  };
  const path = join(dir, 'registration.yaml');
  await writeFile(path, JSON.stringify(reg, null, 2));
  let server: TestServer;
  try {
    server = await startTestServer({ ...TEST_USER_CONFIG, appServiceConfigFiles: [path], ...overrides });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    server,
    asToken,
    asCall: (method, p, body) => call(server.baseUrl, method, p, asToken, body),
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Registers a namespace user through the as_token (inhibit_login: no device, no token). */
export async function registerGhost(as: AsServer, localpart: string): Promise<string> {
  const r = await as.asCall('POST', '/_matrix/client/v3/register', { type: 'm.login.application_service', username: localpart, inhibit_login: true });
  if (r.status !== 200) throw new Error(`ghost registration failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.user_id as string;
}
