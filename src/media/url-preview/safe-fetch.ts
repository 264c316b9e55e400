import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { MatrixError } from '../../errors/index.js';
import type { IpFilter } from './ip-filter.js';
import type { UrlBlacklist } from './url-blacklist.js';

// An HTTP GET that cannot be turned against our own network (SSRF): every hostname is resolved by us and
// refused if ANY address it resolves to is blacklisted (so DNS answers cannot mix in a private address),
// the connection goes to an address we checked, IP-literal URLs are checked directly, and every redirect
// hop is checked again from scratch. Bodies are capped in bytes and the whole fetch in time.

export interface SafeFetchOptions {
  ipFilter: IpFilter;
  urlBlacklist: UrlBlacklist;
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
  userAgent: string;
  accept?: string;
}

export interface FetchedResource {
  /** The URL finally fetched, after redirects. */
  url: URL;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export const blockedError = (what: string) => new MatrixError('M_FORBIDDEN', 403, `${what} is blocked from URL previews`);
const failed = (why: string) => new MatrixError('M_UNKNOWN', 502, `Failed to download content: ${why}`);

class BlockedAddress extends Error {}

function guardedLookup(filter: IpFilter): LookupFunction {
  const lookup = (hostname: string, options: { family?: number | string; all?: boolean }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      if (addresses.length === 0) return callback(new Error(`no addresses for ${hostname}`));
      if (addresses.some((a) => !filter.allows(a.address))) return callback(new BlockedAddress(`${hostname} resolves to a blocked address`));
      const wanted = options.family === 6 || options.family === 'IPv6' ? 6 : options.family === 4 || options.family === 'IPv4' ? 4 : 0;
      const usable = wanted === 0 ? addresses : addresses.filter((a) => a.family === wanted);
      if (options.all) return callback(null, usable);
      const first = usable[0];
      if (!first) return callback(new Error(`no IPv${wanted} address for ${hostname}`));
      callback(null, first.address, first.family);
    });
  };
  return lookup as unknown as LookupFunction;
}

function checkUrl(url: URL, opts: SafeFetchOptions): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw blockedError(`The URL scheme ${url.protocol}`);
  if (opts.urlBlacklist(url)) throw blockedError('This URL');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && !opts.ipFilter.allows(host)) throw blockedError(`The address ${host}`);
}

function getOnce(url: URL, opts: SafeFetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, {
      method: 'GET',
      agent: false,
      lookup: guardedLookup(opts.ipFilter),
      signal,
      headers: {
        'User-Agent': opts.userAgent,
        Accept: opts.accept ?? 'text/html,application/xhtml+xml,image/*;q=0.9,*/*;q=0.8',
        'Accept-Encoding': 'identity',
      },
    });
    req.on('response', resolve);
    req.on('error', (err) => {
      if (err instanceof BlockedAddress) reject(blockedError(`The address of ${url.hostname}`));
      else if (signal.aborted) reject(new MatrixError('M_UNKNOWN', 504, 'Timed out fetching the URL'));
      else reject(failed(err.message));
    });
    req.end();
  });
}

async function readCapped(res: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const announced = Number(res.headers['content-length']);
  if (Number.isFinite(announced) && announced > maxBytes) {
    res.destroy();
    throw new MatrixError('M_TOO_LARGE', 502, `Requested file is too large (> ${maxBytes} bytes)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) {
        res.destroy();
        throw new MatrixError('M_TOO_LARGE', 502, `Requested file is too large (> ${maxBytes} bytes)`);
      }
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof MatrixError) throw err;
    if (signal.aborted) throw new MatrixError('M_UNKNOWN', 504, 'Timed out fetching the URL');
    throw failed('the connection failed while reading');
  }
  return Buffer.concat(chunks, size);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function safeFetch(start: URL, opts: SafeFetchOptions): Promise<FetchedResource> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), opts.timeoutMs);
  try {
    let url = start;
    for (let hop = 0; ; hop++) {
      checkUrl(url, opts);
      const res = await getOnce(url, opts, ac.signal);
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode ?? 0) && location) {
        res.resume();
        if (hop >= (opts.maxRedirects ?? 5)) throw failed('too many redirects');
        try {
          url = new URL(location, url);
        } catch {
          throw failed('invalid redirect location');
        }
        continue;
      }
      const body = await readCapped(res, opts.maxBytes, ac.signal);
      return { url, status: res.statusCode ?? 0, headers: res.headers, body };
    }
  } finally {
    clearTimeout(timer);
  }
}
