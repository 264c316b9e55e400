import { EventEmitter } from 'node:events';
import { createClient, type MatrixClient, ClientEvent, SyncState, MatrixError as SdkError } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';

// Helpers for driving the server with matrix-js-sdk, a real client library. Waits are event-driven with a
// generous ceiling: they return as soon as the event arrives, and fail (never hang) if it does not.

// The SDK logs through loglevel, whose typings are hidden behind its own Logger interface.
(sdkLogger as unknown as { disableAll(): void }).disableAll();

export const WAIT_MS = 15_000;

/** Resolves when `check` returns a truthy value, re-checking whenever `emitter` emits `event`. */
export function waitFor<T>(
  emitter: EventEmitter | { on: (...a: never[]) => unknown; off: (...a: never[]) => unknown },
  event: string,
  check: () => T | undefined | null | false,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const first = check();
  if (first) return Promise.resolve(first);
  const em = emitter as unknown as EventEmitter;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      em.off(event, onEvent);
      em.off('sync', onEvent);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    function onEvent() {
      const v = check();
      if (v) {
        clearTimeout(timer);
        em.off(event, onEvent);
        em.off('sync', onEvent);
        resolve(v);
      }
    }
    em.on(event, onEvent);
    // Some SDK events fire before the client re-emits them (e.g. for a room it has just learnt about), so
    // the end of every sync response is checked too.
    if (event !== 'sync') em.on('sync', onEvent);
  });
}

/** Registers through the spec's user-interactive flow (401 with a session, then m.login.dummy), as Element does. */
export async function registerWithSdk(baseUrl: string, username: string, password: string): Promise<{ userId: string; accessToken: string; deviceId: string }> {
  const client = createClient({ baseUrl });
  let session: string | undefined;
  try {
    await client.registerRequest({ username, password });
    throw new Error('registration without auth unexpectedly succeeded');
  } catch (e) {
    if (!(e instanceof SdkError) || e.httpStatus !== 401) throw e;
    session = (e.data as { session?: string }).session;
  }
  const res = await client.registerRequest({ username, password, auth: { type: 'm.login.dummy', ...(session ? { session } : {}) } });
  if (!res.access_token || !res.device_id) throw new Error('registration returned no access token');
  return { userId: res.user_id, accessToken: res.access_token, deviceId: res.device_id };
}

/** Logs in with a password and starts a syncing client; resolves once the first sync completed. */
export async function loginAndStart(baseUrl: string, username: string, password: string, initialSyncLimit = 20): Promise<MatrixClient> {
  const bootstrap = createClient({ baseUrl });
  const login = await bootstrap.loginWithPassword(username, password);
  const client = createClient({ baseUrl, accessToken: login.access_token, userId: login.user_id, deviceId: login.device_id });
  await startAndWaitPrepared(client, initialSyncLimit);
  return client;
}

export async function startAndWaitPrepared(client: MatrixClient, initialSyncLimit = 20): Promise<void> {
  const prepared = waitFor(client, ClientEvent.Sync, () => client.getSyncState() === SyncState.Prepared || client.getSyncState() === SyncState.Syncing, 'first sync');
  await client.startClient({ initialSyncLimit, lazyLoadMembers: false });
  await prepared;
}
