import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { FederationRequestError } from './errors.js';
import type { IpPolicy } from './ip-ranges.js';

// The one place that opens outbound connections for federation. Every connection goes through a DNS
// lookup filtered by the IP policy, and the connected socket's peer address is checked again, so neither
// a DNS answer nor a reused keep-alive socket can take a request to a refused address.

export interface TransportRequest {
  /** Label for errors and logs: the server name we are talking to. */
  destination: string;
  scheme: 'https' | 'http';
  /** Where to connect: a DNS name or an IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  /** Host header value. */
  hostHeader: string;
  /** SNI and certificate identity; null when the expected certificate is for an IP address (no SNI then). */
  tlsServerName: string | null;
  method: string;
  /** Path and query. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  maxResponseBytes: number;
  ipPolicy: IpPolicy;
  verifyCertificates: boolean;
}

export interface TransportResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpTransport {
  request(req: TransportRequest): Promise<TransportResponse>;
  /** Drops pooled keep-alive sockets. */
  close(): void;
}

/** A DNS lookup of every address of a host (injectable for tests). */
export type AddressLookup = (hostname: string) => Promise<LookupAddress[]>;

export const systemAddressLookup: AddressLookup = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

class BlockedAddressError extends Error {
  constructor(readonly host: string) {
    super(`every address of ${host} is in a blocked IP range`);
    this.name = 'BlockedAddressError';
  }
}

function guardedLookup(policy: IpPolicy, lookupAll: AddressLookup): LookupFunction {
  return (hostname, options, callback) => {
    lookupAll(hostname).then(
      (addresses) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = addresses.filter((a) => (family === 0 || a.family === family) && policy.allows(a.address));
        const first = usable[0];
        if (!first) {
          callback(addresses.length === 0 ? new Error(`no address for ${hostname}`) : new BlockedAddressError(hostname), '', 0);
          return;
        }
        // Node's happy-eyeballs connect asks for all addresses; plain connects ask for one.
        if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/**
 * Where a request for an absolute http(s) URL goes, for callers that are handed URLs rather than server names
 * (push gateways, application services). Certificates are checked against the URL's host, as a browser would.
 */
export function urlTarget(url: URL): Pick<TransportRequest, 'destination' | 'scheme' | 'host' | 'port' | 'hostHeader' | 'tlsServerName' | 'path'> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`not an http(s) URL: ${url.protocol}`);
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    destination: url.host,
    scheme,
    host,
    port: url.port !== '' ? Number(url.port) : scheme === 'https' ? 443 : 80,
    hostHeader: url.host,
    tlsServerName: isIP(host) !== 0 ? null : host,
    path: url.pathname + url.search,
  };
}

export interface TransportOptions {
  lookup?: AddressLookup;
  /** Sockets kept per host; federation traffic to one server rarely needs more. */
  maxSocketsPerHost?: number;
  /** Extra certificate authorities (PEM) trusted besides the system's (federation_custom_ca_list). */
  ca?: readonly Buffer[];
}

export function createHttpTransport(opts: TransportOptions = {}): HttpTransport {
  const lookupAll = opts.lookup ?? systemAddressLookup;
  const agentOpts = { keepAlive: true, maxSockets: opts.maxSocketsPerHost ?? 8, maxFreeSockets: 4, timeout: 60_000 };
  const httpsAgent = new HttpsAgent(agentOpts);
  const httpAgent = new HttpAgent(agentOpts);
  // Node's `ca` replaces the default trust store, so the system roots are kept alongside the extra ones. They are
  // read only then: imported from node:tls as an ES module they were copied into ~140 strings at start (~0.2 MB
  // of heap), used or not.
  const ca = opts.ca !== undefined && opts.ca.length > 0 ? [...(createRequire(import.meta.url)('node:tls') as typeof import('node:tls')).rootCertificates, ...opts.ca] : undefined;

  return {
    request(req) {
      return new Promise<TransportResponse>((resolve, reject) => {
        const fail = (kind: 'blocked' | 'network' | 'timeout' | 'too-large', message: string) =>
          new FederationRequestError(kind, req.destination, message);
        if (isIP(req.host) !== 0 && !req.ipPolicy.allows(req.host)) {
          reject(fail('blocked', `${req.host} is in a blocked IP range`));
          return;
        }
        let settled = false;
        const finish = (err: Error | null, res?: TransportResponse) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve(res as TransportResponse);
        };
        const headers: Record<string, string> = { ...req.headers, Host: req.hostHeader };
        if (req.body) headers['Content-Length'] = String(req.body.length);
        const common = {
          host: req.host,
          port: req.port,
          method: req.method,
          path: req.path,
          headers,
          lookup: guardedLookup(req.ipPolicy, lookupAll),
        };
        let clientReq: ClientRequest;
        try {
          clientReq =
            req.scheme === 'https'
              ? httpsRequest({
                  ...common,
                  agent: httpsAgent,
                  rejectUnauthorized: req.verifyCertificates,
                  ...(ca !== undefined ? { ca } : {}),
                  // No SNI for IP certificates; node checks the certificate against `servername` or `host`.
                  ...(req.tlsServerName !== null ? { servername: req.tlsServerName } : {}),
                })
              : httpRequest({ ...common, agent: httpAgent });
        } catch (e) {
          reject(fail('network', e instanceof Error ? e.message : String(e)));
          return;
        }
        const timer = setTimeout(() => {
          clientReq.destroy(fail('timeout', `no complete response within ${req.timeoutMs} ms`));
        }, req.timeoutMs);
        timer.unref();

        const checkPeer = (socket: Socket) => {
          const peer = socket.remoteAddress;
          if (peer !== undefined && !req.ipPolicy.allows(peer)) {
            clientReq.destroy(fail('blocked', `connected to ${peer}, which is in a blocked IP range`));
          }
        };
        clientReq.on('socket', (socket: Socket) => {
          if (socket.remoteAddress !== undefined) checkPeer(socket);
          else socket.once('connect', () => checkPeer(socket));
        });
        clientReq.on('error', (err: Error) => {
          if (err instanceof FederationRequestError) finish(err);
          else if (err instanceof BlockedAddressError) finish(fail('blocked', err.message));
          else finish(fail('network', err.message));
        });
        clientReq.on('response', (res) => {
          const announced = Number(res.headers['content-length']);
          if (Number.isFinite(announced) && announced > req.maxResponseBytes) {
            res.destroy();
            clientReq.destroy();
            finish(fail('too-large', `response of ${announced} bytes exceeds ${req.maxResponseBytes}`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > req.maxResponseBytes) {
              res.destroy();
              clientReq.destroy();
              finish(fail('too-large', `response exceeds ${req.maxResponseBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size) }));
          res.on('error', (err: Error) => finish(err instanceof FederationRequestError ? err : fail('network', err.message)));
          res.on('aborted', () => finish(fail('network', 'response aborted')));
        });
        clientReq.end(req.body);
      });
    },
    close() {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  };
}
