import { resolveSrv as dnsResolveSrv, type SrvRecord } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from '../../http/logger.js';
import { parseServerName } from '../../protocol/index.js';
import { FederationRequestError } from './errors.js';
import type { HttpTransport, TransportResponse } from './http-transport.js';
import type { IpPolicy } from './ip-ranges.js';
import {
  parseWellKnownResponse,
  WELL_KNOWN_INVALID_CACHE_MS,
  WELL_KNOWN_MAX_BYTES,
  WELL_KNOWN_MAX_REDIRECTS,
  wellKnownRetryMs,
  type WellKnownResult,
} from './well-known.js';

// Server discovery (server-server API, "Resolving server names"): server name -> where to connect, which
// Host header to send and which certificate to expect. Delegation never changes the server name used in
// signatures; it only changes where the bytes go.

export const DEFAULT_FEDERATION_PORT = 8448;
/** SRV answers carry no TTL through node:dns; re-resolve after this long. */
const RESOLUTION_CACHE_MS = 10 * 60 * 1000;

export interface ConnectTarget {
  /** DNS name or IP literal (IPv6 without brackets). */
  host: string;
  port: number;
}

export interface ResolvedServer {
  serverName: string;
  scheme: 'https' | 'http';
  /** Tried in order until one connects (SRV may name several). */
  targets: ConnectTarget[];
  hostHeader: string;
  /** SNI and the name the certificate must carry; null when it must be valid for an IP literal. */
  tlsServerName: string | null;
  /** From federation_test_overrides: the operator named this address, so the IP policy does not apply. */
  override: boolean;
}

export interface SrvResolver {
  /** SRV records of `name`; an empty array (not an error) when there are none. */
  resolveSrv(name: string): Promise<SrvRecord[]>;
}

const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN', 'ENONAME', 'ESERVFAIL', 'ENOTIMP', 'EREFUSED']);

export const systemSrvResolver: SrvResolver = {
  resolveSrv: (name) =>
    new Promise((resolve, reject) => {
      dnsResolveSrv(name, (err, records) => {
        if (!err) resolve(records);
        else if (NO_RECORDS.has(err.code ?? '')) resolve([]);
        else reject(err);
      });
    }),
};

export interface DiscoveryDeps {
  transport: HttpTransport;
  srv: SrvResolver;
  ipPolicy: IpPolicy;
  verifyCertificates: boolean;
  /** server name -> "host:port", "http://host:port" or "https://host:port" (test only). Bare host:port is plain HTTP. */
  overrides: Readonly<Record<string, string>>;
  logger: Logger;
  now: () => number;
  /** How many server names the caches remember (default 10,000); see `rememberBounded`. */
  maxCachedServers?: number;
}

export interface ServerResolver {
  resolve(serverName: string): Promise<ResolvedServer>;
  /** Forgets cached answers for a server (e.g. after every target refused to connect). */
  invalidate(serverName: string): void;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Parses an override value; exported for tests. */
export function parseOverride(serverName: string, value: string): ResolvedServer {
  const m = /^(?:(https?):\/\/)?(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(value);
  if (!m) throw new Error(`federation_test_overrides[${serverName}] is not host:port`);
  const host = stripBrackets(m[2] as string);
  const named = stripBrackets(parseServerName(serverName)?.host ?? host);
  return {
    serverName,
    scheme: m[1] === 'https' ? 'https' : 'http',
    targets: [{ host, port: Number(m[3]) }],
    hostHeader: serverName,
    tlsServerName: isIP(named) ? null : named,
    override: true,
  };
}

/** SRV records in the order to try: lowest priority first, heavier weight first within a priority. */
export function orderSrv(records: readonly SrvRecord[]): ConnectTarget[] {
  // A single record with target "." means "no service here" (RFC 2782).
  const usable = records.filter((r) => r.name !== '' && r.name !== '.');
  return [...usable]
    .sort((a, b) => a.priority - b.priority || b.weight - a.weight)
    .map((r) => ({ host: r.name.replace(/\.$/, ''), port: r.port }));
}

interface CacheEntry<T> {
  value: T;
  expiresAt: number;
}

const DEFAULT_MAX_CACHED_SERVERS = 10_000;

/**
 * Sets `key` and keeps `map` within `max` entries. Anyone can make us resolve server names (a user id or alias
 * on any server), and an expired entry is otherwise only replaced when its own name comes again, so without a
 * bound these maps grow with every name ever looked up. Over the bound, expired entries go first, then the oldest.
 */
function rememberBounded<V>(map: Map<string, V>, key: string, value: V, max: number, expired: (v: V) => boolean): void {
  map.delete(key);
  map.set(key, value);
  if (map.size <= max) return;
  for (const [k, v] of map) if (expired(v)) map.delete(k);
  for (const k of map.keys()) {
    if (map.size <= max) break;
    map.delete(k);
  }
}

export function createServerResolver(deps: DiscoveryDeps): ServerResolver {
  const wellKnownCache = new Map<string, CacheEntry<WellKnownResult>>();
  const wellKnownFailures = new Map<string, number>();
  const resolvedCache = new Map<string, CacheEntry<ResolvedServer>>();
  const inFlight = new Map<string, Promise<ResolvedServer>>();
  const maxCached = deps.maxCachedServers ?? DEFAULT_MAX_CACHED_SERVERS;
  const isExpired = (e: CacheEntry<unknown>) => e.expiresAt <= deps.now();

  async function fetchWellKnownOnce(hostname: string): Promise<WellKnownResult> {
    let url = new URL(`https://${hostname}/.well-known/matrix/server`);
    const seen = new Set<string>();
    for (let hop = 0; hop <= WELL_KNOWN_MAX_REDIRECTS; hop++) {
      if (seen.has(url.href)) return { kind: 'none', transient: false, reason: 'redirect loop' };
      seen.add(url.href);
      const host = stripBrackets(url.hostname);
      let res: TransportResponse;
      try {
        res = await deps.transport.request({
          destination: hostname,
          scheme: url.protocol === 'http:' ? 'http' : 'https',
          host,
          port: url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443,
          hostHeader: url.host,
          tlsServerName: isIP(host) ? null : host,
          method: 'GET',
          path: url.pathname + url.search,
          headers: { Accept: 'application/json' },
          timeoutMs: 10_000,
          maxResponseBytes: WELL_KNOWN_MAX_BYTES,
          ipPolicy: deps.ipPolicy,
          verifyCertificates: deps.verifyCertificates,
        });
      } catch (e) {
        const blocked = e instanceof FederationRequestError && e.kind === 'blocked';
        return { kind: 'none', transient: !blocked, reason: e instanceof Error ? e.message : String(e) };
      }
      if (res.status >= 300 && res.status < 400) {
        const location = res.headers.location;
        if (!location) return { kind: 'none', transient: false, reason: `HTTP ${res.status} without Location` };
        const next = new URL(location, url);
        // Never downgrade a well-known lookup to plain HTTP.
        if (next.protocol !== 'https:') return { kind: 'none', transient: false, reason: 'redirect away from https' };
        url = next;
        continue;
      }
      return parseWellKnownResponse(res);
    }
    return { kind: 'none', transient: false, reason: 'too many redirects' };
  }

  async function wellKnown(hostname: string): Promise<WellKnownResult> {
    const cached = wellKnownCache.get(hostname);
    if (cached && cached.expiresAt > deps.now()) return cached.value;
    const result = await fetchWellKnownOnce(hostname);
    let cacheMs: number;
    if (result.kind === 'delegated') {
      wellKnownFailures.delete(hostname);
      cacheMs = result.cacheMs;
    } else if (result.transient) {
      const failures = (wellKnownFailures.get(hostname) ?? 0) + 1;
      rememberBounded(wellKnownFailures, hostname, failures, maxCached, () => false);
      cacheMs = wellKnownRetryMs(failures);
    } else {
      wellKnownFailures.delete(hostname);
      cacheMs = WELL_KNOWN_INVALID_CACHE_MS;
    }
    if (result.kind === 'none') deps.logger.debug({ hostname, reason: result.reason }, 'no .well-known delegation');
    rememberBounded(wellKnownCache, hostname, { value: result, expiresAt: deps.now() + cacheMs }, maxCached, isExpired);
    return result;
  }

  async function srvTargets(hostname: string): Promise<ConnectTarget[]> {
    for (const service of ['_matrix-fed._tcp', '_matrix._tcp']) {
      let records: SrvRecord[];
      try {
        records = await deps.srv.resolveSrv(`${service}.${hostname}`);
      } catch (err) {
        deps.logger.debug({ err, hostname, service }, 'SRV lookup failed');
        records = [];
      }
      const targets = orderSrv(records);
      if (targets.length > 0) return targets;
    }
    return [];
  }

  /** Steps 3.1-3.5 and 4-6 share this: a host without a port goes through SRV, then port 8448. */
  async function resolveHost(
    serverName: string,
    host: string,
    port: number | undefined,
    hostHeader: string,
  ): Promise<ResolvedServer> {
    const base = { serverName, scheme: 'https' as const, hostHeader, override: false };
    const bare = stripBrackets(host);
    if (isIP(bare)) return { ...base, targets: [{ host: bare, port: port ?? DEFAULT_FEDERATION_PORT }], tlsServerName: null };
    if (port !== undefined) return { ...base, targets: [{ host: bare, port }], tlsServerName: bare };
    const srv = await srvTargets(bare);
    return {
      ...base,
      targets: srv.length > 0 ? srv : [{ host: bare, port: DEFAULT_FEDERATION_PORT }],
      tlsServerName: bare,
    };
  }

  async function resolveUncached(serverName: string): Promise<{ server: ResolvedServer; cacheMs: number }> {
    const override = deps.overrides[serverName];
    if (override !== undefined) return { server: parseOverride(serverName, override), cacheMs: RESOLUTION_CACHE_MS };
    const parsed = parseServerName(serverName);
    if (!parsed) throw new FederationRequestError('unresolvable', serverName, 'not a valid server name');
    // Steps 1 and 2: an IP literal, or an explicit port, is used as is.
    if (parsed.kind !== 'dns' || parsed.port !== undefined) {
      return { server: await resolveHost(serverName, parsed.host, parsed.port, serverName), cacheMs: RESOLUTION_CACHE_MS };
    }
    // Step 3: .well-known delegation; the Host header becomes the delegated name.
    const wk = await wellKnown(parsed.host);
    if (wk.kind === 'delegated') {
      const delegated = parseServerName(wk.server);
      if (delegated) {
        const server = await resolveHost(serverName, delegated.host, delegated.port, wk.server);
        return { server, cacheMs: Math.min(RESOLUTION_CACHE_MS, wk.cacheMs) };
      }
    }
    // Steps 4-6: SRV on the server name itself, then port 8448.
    return { server: await resolveHost(serverName, parsed.host, undefined, parsed.host), cacheMs: RESOLUTION_CACHE_MS };
  }

  return {
    resolve(serverName) {
      const cached = resolvedCache.get(serverName);
      if (cached && cached.expiresAt > deps.now()) return Promise.resolve(cached.value);
      let pending = inFlight.get(serverName);
      if (!pending) {
        pending = resolveUncached(serverName)
          .then(({ server, cacheMs }) => {
            rememberBounded(resolvedCache, serverName, { value: server, expiresAt: deps.now() + cacheMs }, maxCached, isExpired);
            return server;
          })
          .finally(() => inFlight.delete(serverName));
        inFlight.set(serverName, pending);
      }
      return pending;
    },
    invalidate(serverName) {
      resolvedCache.delete(serverName);
    },
  };
}
