import type { TrustedKeyServer } from '../../config/types.js';
import { verifyJsonSignature, type SigningKey } from '../../crypto/index.js';
import type { Logger } from '../../http/logger.js';
import {
  checkEventSignatures,
  keysToFetch,
  type KeyRequest,
  type RoomVersion,
  type SignatureCheckResult,
  type VerifyKey,
} from '../../protocol/index.js';
import type { ServerKeyStore, StoredServerKey } from '../../storage/interfaces/index.js';
import type { JsonObject } from '../../types/json.js';
import { checkKeyResponse, effectiveValidUntil, KeyResponseError } from './key-response.js';

// The keyring: verify keys of other servers, from the cache (storage.serverKeys), else fetched from the
// server itself, else from the configured notaries. Concurrent look-ups of one server share one fetch;
// servers that fail to answer are not asked again until a growing backoff has passed. Stored keys are
// also kept in memory: checking a large room's state verifies thousands of events signed by the same few
// keys, and each used to cost a database read.

/** The HTTP the keyring needs; the federation client provides it (unsigned key requests). */
export interface KeyFetchHttp {
  getJson(destination: string, path: string, opts?: KeyFetchOptions): Promise<Record<string, unknown>>;
  postJson(destination: string, path: string, body: Record<string, unknown>, opts?: KeyFetchOptions): Promise<Record<string, unknown>>;
}

export interface KeyFetchOptions {
  signed?: boolean;
  timeoutMs?: number;
  maxResponseBytes?: number;
  retries?: number;
}

export interface KeyringOptions {
  /** After a successful fetch, a server is not asked again for this long even if a key is missing. */
  minRefetchIntervalMs?: number;
  /** First wait after a failed fetch; doubles per consecutive failure up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface KeyringDeps {
  serverName: string;
  signingKeys: readonly SigningKey[];
  /** Our own retired keys (config.oldSigningKeys). */
  oldSigningKeys: Readonly<Record<string, { key: string; expiredTs: number }>>;
  trustedKeyServers: readonly TrustedKeyServer[];
  store: ServerKeyStore;
  http: KeyFetchHttp;
  logger: Logger;
  now: () => number;
  options?: KeyringOptions;
}

export interface KeyLookupOptions {
  /** The key must be usable at least until this time (event origin_server_ts for v5+, now for requests). */
  minimumValidUntilTs?: number;
  /** Accept keys the server lists under old_verify_keys (events: yes; request signatures: no). Default true. */
  allowOld?: boolean;
}

export interface Keyring {
  /** A verify key of `serverName`, or undefined when it is unknown, unverifiable or not valid long enough. */
  getVerifyKey(serverName: string, keyId: string, opts?: KeyLookupOptions): Promise<VerifyKey | undefined>;
  /** Fetches what a batch of requests needs (grouped by server, notary queries batched), then answers each. */
  getVerifyKeys(requests: readonly KeyRequest[]): Promise<Map<string, VerifyKey>>;
  /** Checks the signatures an event needs (signatures only; hashes are the caller's business). */
  verifyEventSignatures(version: RoomVersion, event: Readonly<Record<string, unknown>>): Promise<SignatureCheckResult>;
  /**
   * Fetches a server's key document directly (deduplicated with concurrent fetches, subject to backoff).
   * Returns true when a fresh, valid document was stored. Used by the notary to refresh its cache.
   */
  refreshServerKeys(serverName: string): Promise<boolean>;
  /** Whether the last attempt to fetch the server's keys failed (it is backing off): a missing key may be transient. */
  lastFetchFailed(serverName: string): boolean;
}

/** The map key of getVerifyKeys results. */
export function keyRequestId(serverName: string, keyId: string): string {
  return `${serverName}\u0000${keyId}`;
}

interface ServerFetchState {
  failures: number;
  retryAt: number;
  lastSuccess: number;
}

const KEY_PATH = '/_matrix/key/v2/server';
/** Stored keys kept in memory (a key is ~100 bytes; the oldest entry goes first). */
const MAX_CACHED_KEYS = 10_000;
const QUERY_PATH = '/_matrix/key/v2/query';

export function createKeyring(deps: KeyringDeps): Keyring {
  const minRefetch = deps.options?.minRefetchIntervalMs ?? 60_000;
  const initialBackoff = deps.options?.initialBackoffMs ?? 10_000;
  const maxBackoff = deps.options?.maxBackoffMs ?? 30 * 60_000;
  const state = new Map<string, ServerFetchState>();
  const inFlight = new Map<string, Promise<void>>();
  const cached = new Map<string, StoredServerKey>();
  const log = deps.logger;

  /**
   * A stored key, from memory unless `fresh`. Only keys found are kept: a missing one may be stored at any
   * moment. A kept key can only be staler than the store (keys are replaced by longer-lived copies), and a
   * key found too short-lived is read again with `fresh` after the fetch that may have renewed it.
   */
  async function storedKey(serverName: string, keyId: string, fresh: boolean): Promise<StoredServerKey | null> {
    const id = keyRequestId(serverName, keyId);
    const hit = fresh ? undefined : cached.get(id);
    if (hit !== undefined) return hit;
    const key = await deps.store.getKey(serverName, keyId);
    cached.delete(id);
    if (key !== null) {
      if (cached.size >= MAX_CACHED_KEYS) cached.delete(cached.keys().next().value as string);
      cached.set(id, key);
    }
    return key;
  }

  function ownKey(keyId: string, allowOld: boolean): VerifyKey | undefined {
    const current = deps.signingKeys.find((k) => k.keyId === keyId);
    if (current) return { publicKey: current.publicKeyBase64 };
    const old = deps.oldSigningKeys[keyId];
    if (old && allowOld) return { publicKey: old.key, validUntilTs: old.expiredTs };
    return undefined;
  }

  function usable(key: StoredServerKey | null | undefined, opts: KeyLookupOptions): VerifyKey | undefined {
    if (!key) return undefined;
    if (key.expiredTs !== null && opts.allowOld === false) return undefined;
    const validUntilTs = effectiveValidUntil(key);
    if (opts.minimumValidUntilTs !== undefined && validUntilTs < opts.minimumValidUntilTs) return undefined;
    return { publicKey: key.verifyKey, validUntilTs };
  }

  function mayFetch(serverName: string): boolean {
    const s = state.get(serverName);
    if (!s) return true;
    const now = deps.now();
    return now >= s.retryAt && now - s.lastSuccess >= minRefetch;
  }

  function recordSuccess(serverName: string): void {
    state.set(serverName, { failures: 0, retryAt: 0, lastSuccess: deps.now() });
  }

  function recordFailure(serverName: string): void {
    const prev = state.get(serverName);
    const failures = (prev?.failures ?? 0) + 1;
    const wait = Math.min(maxBackoff, initialBackoff * 2 ** (failures - 1));
    state.set(serverName, { failures, retryAt: deps.now() + wait, lastSuccess: prev?.lastSuccess ?? -Infinity });
  }

  /** Stores the keys of a checked response, never replacing a current key with a less valid copy. */
  async function storeChecked(json: Record<string, unknown>, serverName: string, fetchedFrom: string): Promise<Set<string>> {
    const fetchedAt = deps.now();
    const checked = checkKeyResponse(json, serverName, fetchedFrom, fetchedAt);
    const existing = new Map((await deps.store.getKeys(serverName)).map((k) => [k.keyId, k]));
    const fresh = checked.keys.filter((k) => {
      const have = existing.get(k.keyId);
      if (!have || have.expiredTs !== null) return true;
      return k.expiredTs === null ? effectiveValidUntil(k) >= effectiveValidUntil(have) : false;
    });
    await deps.store.storeKeys(fresh);
    for (const k of fresh) cached.delete(keyRequestId(serverName, k.keyId));
    await deps.store.storeKeyResponse({ serverName, fetchedFrom, validUntilTs: checked.validUntilTs, fetchedAt, json: json as JsonObject });
    return new Set(checked.keys.map((k) => k.keyId));
  }

  async function fetchDirect(serverName: string): Promise<Set<string> | null> {
    try {
      const json = await deps.http.getJson(serverName, KEY_PATH, { signed: false, timeoutMs: 15_000, maxResponseBytes: 1024 * 1024, retries: 0 });
      return await storeChecked(json, serverName, serverName);
    } catch (err) {
      log.info({ server: serverName, err: err instanceof Error ? err.message : String(err) }, 'direct key fetch failed');
      return null;
    }
  }

  /** The keys a notary signs with: from config, else its own published (and verified) keys. */
  async function notaryKeys(notary: TrustedKeyServer): Promise<Map<string, string>> {
    if (notary.verifyKeys !== null) return new Map(Object.entries(notary.verifyKeys));
    let keys = await deps.store.getKeys(notary.serverName);
    if (!keys.some((k) => k.expiredTs === null && effectiveValidUntil(k) >= deps.now())) {
      await ensureFetched(new Map([[notary.serverName, new Set<string>()]]), false);
      keys = await deps.store.getKeys(notary.serverName);
    }
    return new Map(keys.filter((k) => k.expiredTs === null).map((k) => [k.keyId, k.verifyKey]));
  }

  /** One notary query for several servers; returns the servers it vouched for with valid documents. */
  async function queryNotary(notary: TrustedKeyServer, wanted: Map<string, Set<string>>): Promise<Set<string>> {
    const done = new Set<string>();
    const minimum = deps.now();
    const serverKeys: Record<string, Record<string, { minimum_valid_until_ts: number }>> = {};
    for (const [server, keyIds] of wanted) {
      serverKeys[server] = Object.fromEntries([...keyIds].map((k) => [k, { minimum_valid_until_ts: minimum }]));
    }
    let body: Record<string, unknown>;
    try {
      body = await deps.http.postJson(notary.serverName, QUERY_PATH, { server_keys: serverKeys }, { signed: false, timeoutMs: 20_000, maxResponseBytes: 8 * 1024 * 1024, retries: 0 });
    } catch (err) {
      log.info({ notary: notary.serverName, err: err instanceof Error ? err.message : String(err) }, 'notary key query failed');
      return done;
    }
    const list = Array.isArray(body.server_keys) ? body.server_keys : [];
    let signers: Map<string, string> | null = null;
    for (const entry of list) {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
      const doc = entry as Record<string, unknown>;
      const server = doc.server_name;
      if (typeof server !== 'string' || !wanted.has(server)) continue;
      signers ??= await notaryKeys(notary);
      const notarySigs = (doc.signatures as Record<string, Record<string, unknown>> | undefined)?.[notary.serverName] ?? {};
      const signedByNotary = Object.keys(notarySigs).some((keyId) => {
        const pub = signers?.get(keyId);
        return pub !== undefined && verifyJsonSignature(doc, notary.serverName, keyId, pub);
      });
      if (!signedByNotary) {
        log.warn({ notary: notary.serverName, server }, 'notary response not signed with a key we trust for that notary');
        continue;
      }
      try {
        await storeChecked(doc, server, notary.serverName);
        done.add(server);
      } catch (err) {
        if (!(err instanceof KeyResponseError)) throw err;
        log.warn({ notary: notary.serverName, server, reason: err.message }, 'notary returned an invalid key document');
      }
    }
    return done;
  }

  /** Direct fetches for every server in parallel, then one batched query per notary for what is still missing. */
  async function fetchGroup(wanted: Map<string, Set<string>>, useNotaries: boolean): Promise<void> {
    const remaining = new Map<string, Set<string>>();
    const answered = new Set<string>();
    await Promise.all(
      [...wanted].map(async ([server, keyIds]) => {
        const got = await fetchDirect(server);
        if (got !== null) {
          recordSuccess(server);
          answered.add(server);
        }
        if (got === null || [...keyIds].some((k) => !got.has(k))) remaining.set(server, keyIds);
      }),
    );
    if (useNotaries) {
      for (const notary of deps.trustedKeyServers) {
        if (remaining.size === 0) break;
        const ask = new Map([...remaining].filter(([s]) => s !== notary.serverName));
        if (ask.size === 0) continue;
        for (const server of await queryNotary(notary, ask)) {
          remaining.delete(server);
          answered.add(server);
          recordSuccess(server);
        }
      }
    }
    // A server that answered but lacks a key is throttled by minRefetch; one nobody could vouch for backs off.
    for (const server of remaining.keys()) if (!answered.has(server)) recordFailure(server);
  }

  /** Fetches every server of `wanted` that is not already being fetched or backing off; waits for all. */
  async function ensureFetched(wanted: Map<string, Set<string>>, useNotaries = true): Promise<void> {
    const waits: Promise<void>[] = [];
    const group = new Map<string, Set<string>>();
    for (const [server, keyIds] of wanted) {
      const pending = inFlight.get(server);
      if (pending) waits.push(pending);
      else if (mayFetch(server)) group.set(server, keyIds);
    }
    if (group.size > 0) {
      const p = fetchGroup(group, useNotaries).catch((err: unknown) => log.error({ err }, 'key fetch failed unexpectedly'));
      for (const server of group.keys()) {
        const mine = p.finally(() => {
          if (inFlight.get(server) === mine) inFlight.delete(server);
        });
        inFlight.set(server, mine);
      }
      waits.push(p);
    }
    await Promise.all(waits);
  }

  async function getVerifyKeys(requests: readonly KeyRequest[], opts: KeyLookupOptions = {}): Promise<Map<string, VerifyKey>> {
    const out = new Map<string, VerifyKey>();
    const missing: KeyRequest[] = [];
    const optsFor = (r: KeyRequest): KeyLookupOptions =>
      r.minimumValidUntilTs !== undefined ? { ...opts, minimumValidUntilTs: r.minimumValidUntilTs } : opts;
    for (const r of requests) {
      if (r.serverName === deps.serverName) {
        const own = ownKey(r.keyId, opts.allowOld !== false);
        if (own) out.set(keyRequestId(r.serverName, r.keyId), own);
        continue;
      }
      const key = usable(await storedKey(r.serverName, r.keyId, false), optsFor(r));
      if (key) out.set(keyRequestId(r.serverName, r.keyId), key);
      else missing.push(r);
    }
    if (missing.length === 0) return out;
    const wanted = new Map<string, Set<string>>();
    for (const r of missing) {
      const set = wanted.get(r.serverName) ?? new Set<string>();
      set.add(r.keyId);
      wanted.set(r.serverName, set);
    }
    await ensureFetched(wanted);
    for (const r of missing) {
      const key = usable(await storedKey(r.serverName, r.keyId, true), optsFor(r));
      if (key) out.set(keyRequestId(r.serverName, r.keyId), key);
    }
    return out;
  }

  return {
    async getVerifyKey(serverName, keyId, opts = {}) {
      const req: KeyRequest =
        opts.minimumValidUntilTs !== undefined ? { serverName, keyId, minimumValidUntilTs: opts.minimumValidUntilTs } : { serverName, keyId };
      return (await getVerifyKeys([req], opts)).get(keyRequestId(serverName, keyId));
    },
    getVerifyKeys: (requests) => getVerifyKeys(requests),
    async verifyEventSignatures(version, event) {
      const keys = await getVerifyKeys(keysToFetch(version, event));
      return checkEventSignatures(version, event, (server, keyId) => keys.get(keyRequestId(server, keyId)));
    },
    async refreshServerKeys(serverName) {
      if (serverName === deps.serverName) return true;
      const before = state.get(serverName)?.lastSuccess ?? -Infinity;
      await ensureFetched(new Map([[serverName, new Set<string>()]]), false);
      return (state.get(serverName)?.lastSuccess ?? -Infinity) > before;
    },
    lastFetchFailed: (serverName) => (state.get(serverName)?.failures ?? 0) > 0,
  };
}
