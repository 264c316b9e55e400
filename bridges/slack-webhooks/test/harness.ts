import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppServiceRegistration } from 'matrix-appservice-bridge';
import { stringify } from 'yaml';
// Tests may use the core's test helpers; the bridge's src never imports the core.
import { startTestServer, type TestServer } from '../../../test/helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../../test/helpers/users.js';
import { startBridge } from '../src/app.js';
import type { SlackBridge } from '../src/bridge.js';
import { loadConfig, type SlackBridgeConfig } from '../src/config.js';
import { fillRegistration } from '../src/registration.js';
import { freePort } from '../../../test/helpers/http.js';
export { freePort };

// A real hearth server, the bridge as the application service it loads, and helpers to act as Matrix users.

export interface Harness {
  dir: string;
  server: TestServer;
  bridge: SlackBridge;
  config: SlackBridgeConfig;
  registration: AppServiceRegistration;
  publicUrl: string;
  user(localpart: string, displayname?: string): Promise<RegisteredUser>;
  /** Client-server API call as a user; returns the parsed body, throws on a non-2xx status. */
  api<T = Record<string, unknown>>(token: string, method: string, path: string, body?: unknown): Promise<T>;
  /** Stops the bridge and starts it again with the same config and registration. */
  restartBridge(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra top-level config (merged over the defaults). */
  config?: Record<string, unknown>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-slack-'));
  const asPort = await freePort();
  const publicPort = await freePort();
  const raw = {
    homeserver: { url: 'http://127.0.0.1:1', domain: 'localhost' },
    appservice: { port: asPort, bind_address: '127.0.0.1' },
    public: { port: publicPort, bind_address: '127.0.0.1', url: `http://127.0.0.1:${publicPort}` },
    database: { engine: 'sqlite', filename: join(dir, 'bridge.db') },
    slack: { allow_private_webhook_targets: true, max_retry_delay_ms: 2000 },
    logging: { level: (process.env.HS_TEST_LOG_LEVEL as string | undefined) ?? 'silent' },
    ...opts.config,
  };
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, stringify(raw));
  const config = loadConfig(configPath);
  const regPath = join(dir, 'slack-webhooks.yaml');
  const registration = fillRegistration(new AppServiceRegistration(`http://127.0.0.1:${asPort}`), config, `http://127.0.0.1:${asPort}`);
  registration.outputAsYaml(regPath);
  const server = await startTestServer({ ...TEST_USER_CONFIG, appServiceConfigFiles: [regPath] });
  config.homeserver.url = server.baseUrl;
  let bridge = await startBridge(config, registration);
  const api = async <T>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    dir,
    server,
    get bridge() {
      return bridge;
    },
    config,
    registration,
    publicUrl: config.public.url,
    user: (localpart, displayname) => registerUser(server.baseUrl, server.config, localpart, displayname !== undefined ? { displayname } : {}),
    api,
    async restartBridge() {
      await bridge.stop();
      bridge = await startBridge(config, registration);
    },
    async close() {
      await bridge.stop().catch(() => undefined);
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface TimelineEvent {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
}

/** The room's latest events (newest first) as `token`'s user sees them. */
export async function recentEvents(h: Harness, token: string, roomId: string, limit = 30): Promise<TimelineEvent[]> {
  const r = await h.api<{ chunk: TimelineEvent[] }>(token, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=${limit}`);
  return r.chunk;
}

/** Creates a room as the user, invites the bridge bot and waits until it has joined. */
export async function roomWithBot(h: Harness, user: RegisteredUser, extra: Record<string, unknown> = {}): Promise<string> {
  const { room_id } = await h.api<{ room_id: string }>(user.accessToken, 'POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat', ...extra });
  await h.api(user.accessToken, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(room_id)}/invite`, { user_id: h.bridge.ctx.botUserId });
  await waitFor(async () => {
    const m = await h.api<{ joined: Record<string, unknown> }>(user.accessToken, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room_id)}/joined_members`);
    return h.bridge.ctx.botUserId in m.joined;
  }, 'the bridge bot to join');
  return room_id;
}

let txn = 0;
export async function say(h: Harness, user: RegisteredUser, roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
  const r = await h.api<{ event_id: string }>(user.accessToken, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${type}/t${Date.now()}-${txn++}`, content);
  return r.event_id;
}

/** Sends `!slack ...` and returns the bot's notice answering it. */
export async function command(h: Harness, user: RegisteredUser, roomId: string, line: string): Promise<string> {
  const eventId = await say(h, user, roomId, { msgtype: 'm.text', body: line });
  const reply = await waitFor(async () => {
    const events = await recentEvents(h, user.accessToken, roomId);
    const idx = events.findIndex((e) => e.event_id === eventId);
    // Newest first: the answer is among the events after the command.
    return events.slice(0, Math.max(0, idx)).find((e) => e.sender === h.bridge.ctx.botUserId && e.content.msgtype === 'm.notice');
  }, `an answer to "${line}"`);
  return String(reply.content.body);
}
