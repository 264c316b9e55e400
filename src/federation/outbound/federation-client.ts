import type { SigningKey } from '../../crypto/index.js';
import type { Logger } from '../../http/logger.js';
import type { JsonObject } from '../../types/json.js';
import type { ResolvedServer, ServerResolver } from './discovery.js';
import { FederationRequestError } from './errors.js';
import type { HttpTransport, TransportResponse } from './http-transport.js';
import { ALLOW_ALL_IPS, type IpPolicy } from './ip-ranges.js';
import { xMatrixAuthorization } from './x-matrix.js';

// Signed JSON requests to another homeserver: discovery, the domain whitelist, X-Matrix signing, the
// guarded transport, JSON in and out, and retries for idempotent requests only.

export type FederationMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export type QueryValue = string | number | boolean | readonly (string | number | boolean)[];

export interface FederationRequest {
  method: FederationMethod;
  /** Path starting with /_matrix/, already percent-encoded (see `federationPath`). */
  path: string;
  query?: Readonly<Record<string, QueryValue | undefined>>;
  /** A JSON object for PUT and POST (the spec requires one, possibly empty). */
  body?: JsonObject | Record<string, unknown>;
  /** Default 60 s (a /send or /send_join can be slow on a large room). */
  timeoutMs?: number;
  /** Default 16 MiB. */
  maxResponseBytes?: number;
  /** Extra attempts after a transient failure. Default 2 for GET, 0 otherwise (not idempotent). */
  retries?: number;
  /** Sign with X-Matrix. Default true; key fetches go unsigned. */
  signed?: boolean;
}

export interface FederationClient {
  /** Sends a request and returns the JSON object the peer answered with; throws FederationRequestError. */
  request<T = JsonObject>(destination: string, req: FederationRequest): Promise<T>;
  getJson<T = JsonObject>(destination: string, path: string, opts?: Omit<FederationRequest, 'method' | 'path'>): Promise<T>;
  putJson<T = JsonObject>(destination: string, path: string, body: Record<string, unknown>, opts?: Omit<FederationRequest, 'method' | 'path' | 'body'>): Promise<T>;
  postJson<T = JsonObject>(destination: string, path: string, body: Record<string, unknown>, opts?: Omit<FederationRequest, 'method' | 'path' | 'body'>): Promise<T>;
  /** Whether federation_domain_whitelist lets us talk to this server. */
  isDestinationAllowed(destination: string): boolean;
}

export interface FederationClientDeps {
  serverName: string;
  signingKey: SigningKey;
  transport: HttpTransport;
  resolver: ServerResolver;
  ipPolicy: IpPolicy;
  verifyCertificates: boolean;
  /** null: every server is allowed. */
  domainWhitelist: readonly string[] | null;
  logger: Logger;
  /** Waits between retries; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

/** Builds `/_matrix/...` from literal segments and values, percent-encoding the values. */
export function federationPath(strings: TemplateStringsArray, ...values: string[]): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += encodeURIComponent(v) + (strings[i + 1] ?? '');
  });
  return out;
}

function withQuery(path: string, query: FederationRequest['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const list = Array.isArray(value) ? value : [value];
    for (const v of list as readonly (string | number | boolean)[]) params.append(name, String(v));
  }
  const qs = params.toString();
  return qs === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${qs}`;
}

function parseJsonObject(bytes: Buffer): Record<string, unknown> | null {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createFederationClient(deps: FederationClientDeps): FederationClient {
  const sleep = deps.sleep ?? defaultSleep;
  const whitelist = deps.domainWhitelist === null ? null : new Set(deps.domainWhitelist);
  const isDestinationAllowed = (destination: string) => whitelist === null || whitelist.has(destination);

  /** One attempt: every target of the resolution in turn, moving on only when a connection could not be made. */
  async function attempt(server: ResolvedServer, req: FederationRequest, uri: string, body: Buffer | undefined): Promise<TransportResponse> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body) headers['Content-Type'] = 'application/json';
    if (req.signed !== false) {
      headers.Authorization = xMatrixAuthorization(
        { method: req.method, uri, origin: deps.serverName, destination: server.serverName, ...(req.body !== undefined ? { content: req.body } : {}) },
        deps.signingKey,
      );
    }
    let lastError: unknown = new FederationRequestError('unresolvable', server.serverName, 'no address to connect to');
    for (const target of server.targets) {
      try {
        return await deps.transport.request({
          destination: server.serverName,
          scheme: server.scheme,
          host: target.host,
          port: target.port,
          hostHeader: server.hostHeader,
          tlsServerName: server.tlsServerName,
          method: req.method,
          path: uri,
          headers,
          ...(body ? { body } : {}),
          timeoutMs: req.timeoutMs ?? 60_000,
          maxResponseBytes: req.maxResponseBytes ?? 16 * 1024 * 1024,
          ipPolicy: server.override ? ALLOW_ALL_IPS : deps.ipPolicy,
          verifyCertificates: deps.verifyCertificates,
        });
      } catch (e) {
        lastError = e;
        // Only a failure to reach this target justifies trying the next one.
        if (!(e instanceof FederationRequestError) || (e.kind !== 'network' && e.kind !== 'blocked')) throw e;
      }
    }
    throw lastError;
  }

  async function request<T>(destination: string, req: FederationRequest): Promise<T> {
    if (!isDestinationAllowed(destination)) {
      throw new FederationRequestError('not-whitelisted', destination, 'not in federation_domain_whitelist');
    }
    if (!req.path.startsWith('/_matrix/')) throw new Error(`federation path must start with /_matrix/: ${req.path}`);
    const uri = withQuery(req.path, req.query);
    const body = req.body !== undefined ? Buffer.from(JSON.stringify(req.body), 'utf8') : undefined;
    const retries = req.retries ?? (req.method === 'GET' ? 2 : 0);
    for (let attemptNo = 0; ; attemptNo++) {
      let res: TransportResponse;
      try {
        const server = await deps.resolver.resolve(destination);
        res = await attempt(server, req, uri, body);
      } catch (e) {
        const err =
          e instanceof FederationRequestError
            ? e
            : new FederationRequestError('network', destination, e instanceof Error ? e.message : String(e));
        if (err.kind === 'network' || err.kind === 'blocked') deps.resolver.invalidate(destination);
        if (err.transient && attemptNo < retries) {
          await sleep(500 * 2 ** attemptNo);
          continue;
        }
        throw err;
      }
      const json = parseJsonObject(res.body);
      if (res.status >= 200 && res.status < 300) {
        if (json === null) throw new FederationRequestError('bad-response', destination, `${req.method} ${req.path}: response is not a JSON object`);
        return json as T;
      }
      const err = new FederationRequestError('http', destination, `${req.method} ${req.path}: HTTP ${res.status}`, res.status, json ?? undefined);
      if (err.transient && attemptNo < retries) {
        deps.logger.debug({ destination, status: res.status, path: req.path }, 'retrying federation request');
        await sleep(500 * 2 ** attemptNo);
        continue;
      }
      throw err;
    }
  }

  return {
    request,
    getJson: (destination, path, opts = {}) => request(destination, { ...opts, method: 'GET', path }),
    putJson: (destination, path, body, opts = {}) => request(destination, { ...opts, method: 'PUT', path, body }),
    postJson: (destination, path, body, opts = {}) => request(destination, { ...opts, method: 'POST', path, body }),
    isDestinationAllowed,
  };
}
