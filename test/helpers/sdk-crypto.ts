import {
  ClientEvent,
  createClient,
  MatrixEventEvent,
  RoomEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk';
import { defaultRuleset } from '../../src/protocol/index.js';
import type { RegisteredUser } from './users.js';

// matrix-js-sdk clients with the Rust crypto stack (@matrix-org/matrix-sdk-crypto-wasm) against our server:
// start one for a registered user, wait for its keys to reach the server, and wait for the next message it
// decrypts. Shared by the single-server and the cross-server end-to-end encryption tests.

/**
 * Answers the SDK's push-rules fetch when the server cannot (the push rules API belongs to other work; the SDK
 * retries that fetch forever before its first /sync). Push rules play no part in what this file tests.
 */
function fetchWithPushRules(userId: string): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    if (/\/_matrix\/client\/v3\/pushrules\/?(\?|$)/.test(url)) {
      const probe = await fetch(input, init);
      if (probe.status === 200) return probe;
      return new Response(JSON.stringify({ global: defaultRuleset(userId) }), { headers: { 'Content-Type': 'application/json' } });
    }
    return fetch(input, init);
  };
}

export function waitFor<T>(what: string, register: (resolve: (v: T) => void) => void, ms = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every client started through startCryptoClient, for the caller to stop. */
export const cryptoClients: MatrixClient[] = [];

/**
 * The SDK (loglevel) and its Rust crypto (wasm tracing) write every request and state change to the console at
 * debug level, through loggers the client options do not reach. Muted for the duration of this file only.
 */
const muted = ['debug', 'info', 'log', 'trace', 'warn'] as const;
const saved = muted.map((m) => [m, console[m]] as const);
export function muteConsole(): void {
  for (const m of muted) console[m] = () => undefined;
}
export function restoreConsole(): void {
  for (const [m, f] of saved) console[m] = f;
}

/**
 * The SDK arms long timers it never clears (a request timeout per HTTP call, a 5-minute wait per undecrypted
 * event) that would keep this test process alive for minutes after the clients stopped. Long timers created
 * during this file are unref'd so they cannot hold the process open; short ones (the test's own polling) are
 * untouched.
 */
const realSetTimeout = globalThis.setTimeout;
export function restoreTimers(): void {
  globalThis.setTimeout = realSetTimeout;
}

export function unrefLongTimers(): void {
  const patched = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = realSetTimeout(fn, ms, ...args);
    if ((ms ?? 0) >= 30_000) t.unref();
    return t;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(patched, realSetTimeout);
}

export async function startCryptoClient(baseUrl: string, user: RegisteredUser): Promise<MatrixClient> {
  const client = createClient({
    baseUrl,
    accessToken: user.accessToken,
    userId: user.userId,
    deviceId: user.deviceId,
    fetchFn: fetchWithPushRules(user.userId),
  });
  cryptoClients.push(client);
  await client.initRustCrypto({ useIndexedDB: false });
  const prepared = waitFor<void>(`${user.userId} PREPARED`, (done) => {
    client.on(ClientEvent.Sync, (state: SyncState) => {
      if (state === SyncState.Prepared) done();
    });
  });
  await client.startClient({ initialSyncLimit: 10 });
  await prepared;
  // The Rust stack uploads device and one-time keys right after start; wait until the server has them.
  await until(`${user.userId} keys uploaded`, async () => {
    const q = await fetch(`${baseUrl}/_matrix/client/v3/keys/query`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${user.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ device_keys: { [user.userId]: [user.deviceId] } }),
    });
    const body = (await q.json()) as { device_keys?: Record<string, Record<string, unknown>> };
    return Boolean(body.device_keys?.[user.userId]?.[user.deviceId]);
  });
  return client;
}

/** Resolves with the decrypted body of the next message in `roomId` whose clear body satisfies `match`. */
export function nextDecrypted(client: MatrixClient, roomId: string, match: (body: string) => boolean): Promise<MatrixEvent> {
  return waitFor<MatrixEvent>(`decrypted message for ${client.getUserId()}`, (done) => {
    const check = (ev: MatrixEvent) => {
      if (ev.getRoomId() !== roomId || ev.isDecryptionFailure() || ev.getType() !== 'm.room.message') return;
      const body = ev.getContent().body;
      if (typeof body === 'string' && match(body)) done(ev);
    };
    client.on(MatrixEventEvent.Decrypted, (ev: MatrixEvent) => check(ev));
    client.on(RoomEvent.Timeline, (ev: MatrixEvent) => {
      if (!ev.isEncrypted() || ev.getClearContent() !== null) check(ev);
    });
  });
}
