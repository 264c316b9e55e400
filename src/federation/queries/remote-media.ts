import type { IncomingHttpHeaders } from 'node:http';
import type { SigningKey } from '../../crypto/index.js';
import { MatrixError, notFound } from '../../errors/index.js';
import type { Logger } from '../../http/logger.js';
import type { RemoteMediaBytes, RemoteMediaPort, ThumbnailRequest } from '../../media/index.js';
import { FederationRequestError, xMatrixAuthorization, type HttpTransport, type IpPolicy, type ServerResolver } from '../outbound/index.js';

// Other servers' media for our clients (the authenticated client media API): a signed GET of
// /_matrix/federation/v1/media/download|thumbnail/{mediaId} (v1.11), whose multipart/mixed answer carries a
// JSON part and then either the bytes or a Location to fetch them from. Servers that predate v1.11 answer
// 404 M_UNRECOGNIZED; they are asked on the legacy /_matrix/media/v3 path instead, as Synapse does.
// Everything goes through the federation transport, so the IP blacklist applies to every hop.

export interface RemoteMediaDeps {
  serverName: string;
  signingKey: SigningKey;
  resolver: ServerResolver;
  transport: HttpTransport;
  ipPolicy: IpPolicy;
  allowAllIps: IpPolicy;
  verifyCertificates: boolean;
  maxBytes: number;
  logger: Logger;
}

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function parseMultipart(contentType: string, body: Buffer): Part[] | null {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!/^multipart\/mixed/i.test(contentType) || !m?.[1]) return null;
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    let start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString('latin1') === '--') break;
    if (body.subarray(start, start + 2).toString('latin1') === '\r\n') start += 2;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), start);
    if (next === -1) return null;
    const raw = body.subarray(start, next);
    const split = raw.indexOf('\r\n\r\n');
    const headerText = split === -1 ? raw.toString('latin1') : raw.subarray(0, split).toString('latin1');
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, body: split === -1 ? Buffer.alloc(0) : raw.subarray(split + 4) });
    at = next + 2;
  }
  return parts;
}

function fileName(disposition: string | undefined): string | null {
  if (disposition === undefined) return null;
  const star = /filename\*=utf-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      return null;
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain?.[1] ?? null;
}

export function createRemoteMediaFetcher(deps: RemoteMediaDeps): RemoteMediaPort {
  async function get(destination: string, path: string, timeoutMs: number, signed: boolean) {
    const server = await deps.resolver.resolve(destination);
    const headers: Record<string, string> = {};
    if (signed) headers.Authorization = xMatrixAuthorization({ method: 'GET', uri: path, origin: deps.serverName, destination }, deps.signingKey);
    let lastError: unknown = new FederationRequestError('unresolvable', destination, 'no address to connect to');
    for (const target of server.targets) {
      try {
        return await deps.transport.request({
          destination,
          scheme: server.scheme,
          host: target.host,
          port: target.port,
          hostHeader: server.hostHeader,
          tlsServerName: server.tlsServerName,
          method: 'GET',
          path,
          headers,
          timeoutMs,
          maxResponseBytes: deps.maxBytes + 64 * 1024,
          ipPolicy: server.override ? deps.allowAllIps : deps.ipPolicy,
          verifyCertificates: deps.verifyCertificates,
        });
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** A Location given instead of the bytes: fetched without our signature, under the IP policy. */
  async function follow(location: string, timeoutMs: number): Promise<{ contentType: string; body: Buffer; disposition?: string }> {
    const url = new URL(location);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new MatrixError('M_UNKNOWN', 502, 'Remote media location is not http(s)');
    const res = await deps.transport.request({
      destination: url.host,
      scheme: url.protocol === 'https:' ? 'https' : 'http',
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
      hostHeader: url.host,
      tlsServerName: url.hostname,
      method: 'GET',
      path: `${url.pathname}${url.search}`,
      timeoutMs,
      maxResponseBytes: deps.maxBytes,
      ipPolicy: deps.ipPolicy,
      verifyCertificates: deps.verifyCertificates,
    });
    if (res.status !== 200) throw new MatrixError('M_UNKNOWN', 502, `Remote media location answered ${res.status}`);
    const disposition = header(res.headers, 'content-disposition');
    return { contentType: header(res.headers, 'content-type') ?? 'application/octet-stream', body: res.body, ...(disposition ? { disposition } : {}) };
  }

  function query(thumbnail: ThumbnailRequest | null, timeoutMs: number): string {
    const q = new URLSearchParams({ timeout_ms: String(timeoutMs) });
    if (thumbnail) {
      q.set('width', String(thumbnail.width));
      q.set('height', String(thumbnail.height));
      q.set('method', thumbnail.method);
      if (thumbnail.animated) q.set('animated', 'true');
    }
    return q.toString();
  }

  async function legacy(serverName: string, mediaId: string, thumbnail: ThumbnailRequest | null, timeoutMs: number): Promise<RemoteMediaBytes> {
    const kind = thumbnail ? 'thumbnail' : 'download';
    const path = `/_matrix/media/v3/${kind}/${encodeURIComponent(serverName)}/${encodeURIComponent(mediaId)}?allow_remote=false&allow_redirect=true&${query(thumbnail, timeoutMs)}`;
    const res = await get(serverName, path, timeoutMs + 10_000, false);
    if (res.status === 404) throw notFound('Media not found');
    if (res.status !== 200) throw new MatrixError('M_UNKNOWN', 502, `Remote server answered ${res.status}`);
    return {
      contentType: header(res.headers, 'content-type') ?? 'application/octet-stream',
      uploadName: fileName(header(res.headers, 'content-disposition')),
      bytes: res.body,
    };
  }

  return {
    async fetch(serverName, mediaId, thumbnail, timeoutMs) {
      if (!/^[A-Za-z0-9_-]+$/.test(mediaId)) throw notFound('Media not found');
      const wait = Math.min(Math.max(timeoutMs, 0), 60_000);
      const kind = thumbnail ? 'thumbnail' : 'download';
      const path = `/_matrix/federation/v1/media/${kind}/${encodeURIComponent(mediaId)}?${query(thumbnail, wait)}`;
      let res;
      try {
        res = await get(serverName, path, wait + 20_000, true);
      } catch (err) {
        deps.logger.info({ err, serverName, mediaId }, 'remote media fetch failed');
        throw new MatrixError('M_UNKNOWN', 502, `Could not reach ${serverName} for its media`);
      }
      if (res.status === 404 || res.status === 400) {
        const errcode = (() => {
          try {
            return (JSON.parse(res.body.toString('utf8')) as { errcode?: unknown }).errcode;
          } catch {
            return undefined;
          }
        })();
        if (errcode === 'M_UNRECOGNIZED') return legacy(serverName, mediaId, thumbnail, wait);
        throw notFound('Media not found');
      }
      if (res.status === 413 || res.body.length > deps.maxBytes + 64 * 1024) throw new MatrixError('M_TOO_LARGE', 502, 'Remote media is too large');
      if (res.status !== 200) throw new MatrixError('M_UNKNOWN', 502, `${serverName} answered ${res.status} for its media`);
      const parts = parseMultipart(header(res.headers, 'content-type') ?? '', res.body);
      const media = parts?.[1];
      if (!media) throw new MatrixError('M_UNKNOWN', 502, `${serverName} sent a malformed media response`);
      const location = media.headers.location;
      if (location !== undefined) {
        const got = await follow(location, wait + 20_000);
        return { contentType: got.contentType, uploadName: fileName(got.disposition), bytes: got.body };
      }
      return {
        contentType: media.headers['content-type'] ?? 'application/octet-stream',
        uploadName: fileName(media.headers['content-disposition']),
        bytes: media.body,
      };
    },
  };
}
