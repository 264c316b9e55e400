import { createHash } from 'node:crypto';
import { invalidParam, MatrixError } from '../../errors/index.js';
import type { Logger } from '../../http/logger.js';
import type { LocalMedia, MediaStore } from '../../storage/interfaces/index.js';
import { mxcUri } from '../ids.js';
import type { MediaSettings } from '../settings.js';
import { sniffImage } from '../sniff.js';
import { imageDimensions } from '../thumbnailer.js';
import { createIpFilter } from './ip-filter.js';
import { decodeHtml, parseOpenGraph, type OpenGraph } from './opengraph.js';
import { safeFetch, type FetchedResource, type SafeFetchOptions } from './safe-fetch.js';
import { createUrlBlacklist } from './url-blacklist.js';

// GET /preview_url: fetch a page (safely), turn it into OpenGraph, and replace its image with our own
// mxc:// copy so clients never contact the third-party site themselves. Results are cached in the
// database for an hour, and concurrent requests for one URL share a single fetch.

const CACHE_MS = 60 * 60 * 1000;
const FETCH_TIMEOUT_MS = 10_000;
const USER_AGENT = 'Hearth Matrix homeserver URL preview (like Synapse)';

export interface UrlPreviewDeps {
  settings: MediaSettings;
  store: MediaStore;
  logger: Logger;
  now: () => number;
  /** Records fetched image bytes as local media (attributed to the requesting user). */
  storeImage(userId: string, bytes: Buffer, contentType: string, uploadName: string | null, url: string): Promise<LocalMedia>;
}

export interface UrlPreviewer {
  preview(userId: string, rawUrl: string): Promise<OpenGraph>;
}

function mediaTypeOf(res: FetchedResource): string {
  const raw = res.headers['content-type'];
  return (typeof raw === 'string' ? raw : '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function createUrlPreviewer(d: UrlPreviewDeps): UrlPreviewer {
  const fetchOptions: SafeFetchOptions = {
    ipFilter: createIpFilter(d.settings.urlPreviewIpRangeBlacklist, d.settings.urlPreviewIpRangeWhitelist),
    urlBlacklist: createUrlBlacklist(d.settings.urlPreviewUrlBlacklist),
    maxBytes: d.settings.maxSpiderSize,
    timeoutMs: FETCH_TIMEOUT_MS,
    userAgent: USER_AGENT,
  };
  const inflight = new Map<string, Promise<OpenGraph>>();

  /** Stores an image response as media and describes it in OpenGraph terms; null if it is not an image. */
  const imageFields = async (userId: string, res: FetchedResource): Promise<OpenGraph | null> => {
    const format = sniffImage(res.body);
    if (!format) return null;
    const type = `image/${format}`;
    const name = decodeURIComponent(res.url.pathname.split('/').pop() ?? '') || null;
    const media = await d.storeImage(userId, res.body, type, name, res.url.toString());
    const og: OpenGraph = {
      'og:image': mxcUri(d.settings.serverName, media.mediaId),
      'og:image:type': type,
      'matrix:image:size': res.body.length,
    };
    const dims = await imageDimensions(res.body);
    if (dims) {
      og['og:image:width'] = dims.width;
      og['og:image:height'] = dims.height;
    }
    return og;
  };

  const generate = async (userId: string, url: URL): Promise<OpenGraph> => {
    const res = await safeFetch(url, fetchOptions);
    if (res.status < 200 || res.status >= 300) {
      throw new MatrixError('M_UNKNOWN', 502, `Failed to download content: the site answered ${res.status}`);
    }
    const type = mediaTypeOf(res);
    if (type.startsWith('image/')) return (await imageFields(userId, res)) ?? {};
    if (type !== 'text/html' && type !== 'application/xhtml+xml') return {};
    const raw = res.headers['content-type'];
    const og = parseOpenGraph(decodeHtml(res.body, typeof raw === 'string' ? raw : null), res.url);
    const image = og['og:image'];
    if (typeof image === 'string') {
      // The image is fetched under the same rules as the page; if that fails the preview goes without it.
      delete og['og:image'];
      try {
        const imageRes = await safeFetch(new URL(image), { ...fetchOptions, accept: 'image/*' });
        if (imageRes.status >= 200 && imageRes.status < 300) Object.assign(og, (await imageFields(userId, imageRes)) ?? {});
      } catch (err) {
        d.logger.debug({ err, image }, 'URL preview image could not be fetched');
      }
    }
    return og;
  };

  return {
    async preview(userId, rawUrl) {
      let url: URL;
      try {
        url = new URL(rawUrl);
      } catch {
        throw invalidParam('url is not a valid URL');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidParam('url must be an http(s) URL');
      // Fragments never reach the server, so they must not split the cache.
      url.hash = '';
      const key = url.toString();
      const hash = createHash('sha256').update(key).digest('hex');
      const cached = await d.store.getUrlPreview(hash, d.now());
      if (cached) return JSON.parse(cached.og) as OpenGraph;
      let job = inflight.get(key);
      if (!job) {
        job = (async () => {
          const og = await generate(userId, url);
          const now = d.now();
          await d.store.putUrlPreview(key, hash, { fetchedTs: now, expiresTs: now + CACHE_MS, responseCode: 200, og: JSON.stringify(og) });
          return og;
        })().finally(() => inflight.delete(key));
        inflight.set(key, job);
      }
      return job;
    },
  };
}
