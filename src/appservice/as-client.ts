import { ALLOW_ALL_IPS, createHttpTransport, FederationRequestError, urlTarget } from '../federation/outbound/index.js';
import type { AppserviceEntry } from './registry.js';

// Requests from the homeserver to an application service (the Application Service API), all authenticated
// with the service's hs_token in the Authorization header. They go over node's http client, not fetch: fetch
// would load undici (~2 MB of heap) in every server with a registered service. Services are the operator's
// own configuration, usually on the same host or network, so no address is refused (Synapse does not apply
// ip_range_blacklist to them either); the client keeps its own connection pool so no other caller's
// address policy shares a socket with it.

export interface AsResponse {
  status: number;
  body: unknown;
}

export class AsConnectionError extends Error {
  override name = 'AsConnectionError';
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

export interface AsRequest {
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface AsClient {
  /** Sends one request; throws AsConnectionError when there is no HTTP answer (refused, DNS, timeout). */
  request(entry: AppserviceEntry, req: AsRequest): Promise<AsResponse>;
  /** Drops pooled keep-alive connections. */
  close(): void;
}

/** Largest answer read from a service (third-party lookups are the biggest; a transaction answer is `{}`). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export function createAsClient(): AsClient {
  const transport = createHttpTransport({ maxSocketsPerHost: 4 });
  return {
    async request(entry, req) {
      const base = entry.reg.url;
      if (base === null) throw new AsConnectionError(`appservice ${entry.id} has no url`, false);
      let url: URL;
      try {
        url = new URL(base + req.path);
      } catch {
        throw new AsConnectionError(`appservice ${entry.id} has an invalid url`, false);
      }
      for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
      const headers: Record<string, string> = { Authorization: `Bearer ${entry.reg.hsToken}` };
      if (req.body !== undefined) headers['Content-Type'] = 'application/json';
      let status: number;
      let text: string;
      try {
        const res = await transport.request({
          ...urlTarget(url),
          method: req.method,
          headers,
          ...(req.body !== undefined ? { body: Buffer.from(req.body) } : {}),
          timeoutMs: req.timeoutMs,
          maxResponseBytes: MAX_RESPONSE_BYTES,
          ipPolicy: ALLOW_ALL_IPS,
          verifyCertificates: true,
        });
        status = res.status;
        text = res.body.toString('utf8');
      } catch (err) {
        if (!(err instanceof FederationRequestError)) throw new AsConnectionError((err as Error).message, false);
        const timedOut = err.kind === 'timeout';
        throw new AsConnectionError(timedOut ? `timed out after ${req.timeoutMs} ms` : err.message, timedOut);
      }
      let body: unknown = null;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      return { status, body };
    },
    close() {
      transport.close();
    },
  };
}

export const enc = encodeURIComponent;
