import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSigningKeyFile, type SigningKey } from '../../../src/crypto/index.js';
import type { Config, ListenerConfig } from '../../../src/config/types.js';
import { createLogger } from '../../../src/http/logger.js';
import { createFederationService, type FederationService } from '../../../src/federation/outbound/index.js';
import { openStorage } from '../../../src/storage/knex/index.js';
import { testConfig } from '../../helpers/http.js';
import { bootTestServer, startTestServer, testServerConfig, type TestServer } from '../../helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';
import type { TestCa } from './tls-certs.js';

// Real servers on loopback that federate with each other by name (hs1.test, hs2.test, ...): one shared,
// mutable federation_test_overrides map, filled in as each server learns its random port.

export interface FedServer {
  name: string;
  server: TestServer;
  key: SigningKey;
}

export interface FederationOptions {
  /**
   * Federation over real TLS: each server gets a plain client listener (for the tests' clients) and a TLS
   * federation listener with a certificate for its name from a test CA that the others trust and verify.
   */
  tls?: TestCa;
  /** Config for every server of this call (e.g. partialStateJoins: false). */
  config?: Partial<Config>;
}

function tlsListeners(ca: TestCa, name: string): ListenerConfig[] {
  const { certPath, keyPath } = ca.issue(name);
  const base = { port: 0, bindAddresses: ['127.0.0.1'], type: 'http' as const, xForwarded: false };
  return [
    { ...base, tls: false, tlsCertificatePath: null, tlsPrivateKeyPath: null, resources: [{ names: ['client'], compress: false }] },
    { ...base, tls: true, tlsCertificatePath: certPath, tlsPrivateKeyPath: keyPath, resources: [{ names: ['federation'], compress: false }] },
  ];
}

export async function startFederation(names: readonly string[], overrides: Record<string, string> = {}, opts: FederationOptions = {}): Promise<FedServer[]> {
  const out: FedServer[] = [];
  for (const name of names) {
    const tls = opts.tls;
    const server = await startTestServer({
      ...TEST_USER_CONFIG,
      ...opts.config,
      serverName: name,
      federationTestOverrides: overrides,
      ...(tls !== undefined ? { listeners: tlsListeners(tls, name), federationVerifyCertificates: true, federationCustomCaList: [tls.caPath] } : {}),
    });
    const fedListener = server.addresses.find((a) => a.tls);
    overrides[name] = fedListener !== undefined ? `https://${fedListener.host}:${fedListener.port}` : server.baseUrl.replace(/^http:\/\//, '');
    const key = parseSigningKeyFile(readFileSync(server.config.signingKeyPath, 'utf8'))[0];
    if (!key) throw new Error('no signing key');
    out.push({ name, server, key });
  }
  return out;
}

export function user(s: FedServer, localpart: string): Promise<RegisteredUser> {
  return registerUser(s.server.baseUrl, s.server.config, localpart);
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export async function api(s: FedServer, u: RegisteredUser, method: string, path: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${s.server.baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${u.accessToken}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export const enc = encodeURIComponent;

let txn = 0;
export async function send(s: FedServer, u: RegisteredUser, roomId: string, text: string): Promise<string> {
  const r = await api(s, u, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t${Date.now()}-${txn++}`, { msgtype: 'm.text', body: text });
  if (r.status !== 200) throw new Error(`send failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.event_id as string;
}

/** Message bodies of the room's timeline as `u` sees it (newest last). */
export async function bodies(s: FedServer, u: RegisteredUser, roomId: string): Promise<string[]> {
  const r = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=300`);
  if (r.status !== 200) return [];
  const chunk = r.body.chunk as Array<{ type: string; content: { body?: string } }>;
  return chunk
    .filter((e) => e.type === 'm.room.message')
    .map((e) => e.content.body ?? '')
    .reverse();
}

/** "type|state_key" -> event id: a room's current state, to compare servers' views. */
export type StateMap = Map<string, string>;

/** A server's current room state as seen by `u`. */
export async function stateMap(s: FedServer, u: RegisteredUser, roomId: string): Promise<StateMap> {
  const r = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`);
  if (r.status !== 200) throw new Error(`GET state on ${s.name}: ${r.status} ${JSON.stringify(r.body)}`);
  const list = r.body as unknown as Array<{ type: string; state_key: string; event_id: string }>;
  return new Map(list.map((e) => [`${e.type}|${e.state_key}`, e.event_id]));
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function membership(s: FedServer, u: RegisteredUser, roomId: string, userId: string): Promise<string | undefined> {
  const r = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`);
  return r.status === 200 ? (r.body.membership as string) : undefined;
}

/**
 * A server whose database and key live in `dir`, which outlives it: stop it and start it again on the same
 * state (a new port; the shared overrides map is updated).
 */
export async function startPersistent(name: string, dir: string, overrides: Record<string, string>): Promise<{ fed: FedServer; stop(): Promise<void> }> {
  const config = testServerConfig(dir, { ...TEST_USER_CONFIG, serverName: name, federationTestOverrides: overrides });
  const server = await bootTestServer(config, dir);
  overrides[name] = server.baseUrl.replace(/^http:\/\//, '');
  const key = parseSigningKeyFile(readFileSync(config.signingKeyPath, 'utf8'))[0];
  if (!key) throw new Error('no signing key');
  return { fed: { name, server, key }, stop: () => server.close() };
}

/**
 * A federation client that signs with `s`'s name and key, for calling the other servers' federation
 * endpoints directly (its own throwaway database; close it after).
 */
export async function signingClientAs(s: FedServer, overrides: Record<string, string>): Promise<{ client: FederationService['client']; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-fedclient-'));
  const logger = createLogger('silent');
  const storage = await openStorage({ engine: 'sqlite', path: join(dir, 'client.db') }, logger);
  await storage.migrate();
  const federation = createFederationService({
    config: testConfig({ serverName: s.name, federationTestOverrides: overrides }),
    logger,
    storage,
    signingKeys: [s.key],
    now: Date.now,
  });
  return {
    client: federation.client,
    async close() {
      await federation.close();
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
