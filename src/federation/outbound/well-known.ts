import type { TransportResponse } from './http-transport.js';

// /.well-known/matrix/server (server-server API, "Resolving server names", step 3): parsing the answer and
// deciding how long to believe it. Fetching is done by the caller through the guarded transport.

export const WELL_KNOWN_DEFAULT_CACHE_MS = 24 * 60 * 60 * 1000;
export const WELL_KNOWN_MAX_CACHE_MS = 48 * 60 * 60 * 1000;
/** Never re-fetch more often than this, whatever Cache-Control says, so one peer cannot make us hammer it. */
export const WELL_KNOWN_MIN_CACHE_MS = 5 * 60 * 1000;
/** A definite "no delegation here" (404, bad JSON, no m.server) is believed for an hour. */
export const WELL_KNOWN_INVALID_CACHE_MS = 60 * 60 * 1000;
/** Transient failures (connection, timeout, 5xx) start at two minutes and back off to an hour. */
export const WELL_KNOWN_RETRY_START_MS = 2 * 60 * 1000;
export const WELL_KNOWN_RETRY_MAX_MS = 60 * 60 * 1000;
export const WELL_KNOWN_MAX_BYTES = 50 * 1024;
export const WELL_KNOWN_MAX_REDIRECTS = 5;

export type WellKnownResult =
  /** `server` is the delegated `<hostname>[:<port>]`. */
  | { kind: 'delegated'; server: string; cacheMs: number }
  /** No usable delegation; `transient` failures are retried sooner. */
  | { kind: 'none'; transient: boolean; reason: string };

/** Cache lifetime from Cache-Control (max-age, no-store), clamped to [5 minutes, 48 hours]. */
export function cacheLifetimeMs(cacheControl: string | undefined): number {
  if (!cacheControl) return WELL_KNOWN_DEFAULT_CACHE_MS;
  const directives = cacheControl.toLowerCase().split(',').map((d) => d.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return WELL_KNOWN_MIN_CACHE_MS;
  for (const d of directives) {
    const m = /^max-age\s*=\s*"?(\d+)"?$/.exec(d);
    if (m) return Math.min(WELL_KNOWN_MAX_CACHE_MS, Math.max(WELL_KNOWN_MIN_CACHE_MS, Number(m[1]) * 1000));
  }
  return WELL_KNOWN_DEFAULT_CACHE_MS;
}

/** A delegated server name is `<hostname>[:<port>]` with nothing else (no scheme, path or userinfo). */
const DELEGATED = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/** Interprets a 200 response (after redirects were followed). Anything else is a definite "none". */
export function parseWellKnownResponse(res: TransportResponse): WellKnownResult {
  if (res.status !== 200) {
    return { kind: 'none', transient: res.status >= 500 || res.status === 429, reason: `HTTP ${res.status}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    return { kind: 'none', transient: false, reason: 'response is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { kind: 'none', transient: false, reason: 'response is not a JSON object' };
  }
  const server = (body as Record<string, unknown>)['m.server'];
  if (typeof server !== 'string' || !DELEGATED.test(server)) {
    return { kind: 'none', transient: false, reason: 'm.server is missing or not a server name' };
  }
  const port = /:(\d+)$/.exec(server)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return { kind: 'none', transient: false, reason: 'm.server has an invalid port' };
  }
  const cc = res.headers['cache-control'];
  return { kind: 'delegated', server, cacheMs: cacheLifetimeMs(Array.isArray(cc) ? cc.join(',') : cc) };
}

/** How long to wait before asking again after `failures` consecutive transient failures (1 = first). */
export function wellKnownRetryMs(failures: number): number {
  return Math.min(WELL_KNOWN_RETRY_MAX_MS, WELL_KNOWN_RETRY_START_MS * 2 ** Math.max(0, failures - 1));
}
