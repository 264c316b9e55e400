// Thumbnail throughput: thumbnails per second rendered through our server (HTTP, access token, database,
// disk cache) next to raw sharp rendering the same images at the same sizes in-process. The ratio is the
// figure: how much of libvips' speed survives the media repository around it.
//
//   npx tsx bench/thumbnails.ts           8 photos of 2400x1600, 160 thumbnails per path
//   npx tsx bench/thumbnails.ts --quick   3 photos of 1200x800, 24 thumbnails per path
//
// `run(opts)` returns the figures so bench/run.ts can collect them.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { outputSize } from '../src/media/thumbnail-plan.js';
import { startMediaTestServer } from '../test/media/helpers.js';

export interface ThumbnailBenchOptions {
  images?: number;
  width?: number;
  height?: number;
  /** Thumbnails rendered per path. */
  thumbnails?: number;
  /** Requests (or sharp pipelines) in flight at once. */
  concurrency?: number;
}

export interface ThumbnailBenchRow {
  path: string;
  thumbnails: number;
  seconds: number;
  perSecond: number;
  /** perSecond relative to raw sharp. */
  ratio: number;
}

export interface ThumbnailBenchResult {
  rows: ThumbnailBenchRow[];
}

async function photo(i: number, width: number, height: number): Promise<Buffer> {
  // Noise makes the JPEG as costly to decode as a real photo; a flat colour would flatter both paths.
  return sharp({ create: { width, height, channels: 3, background: { r: (i * 40) % 256, g: 120, b: 200 }, noise: { type: 'gaussian', mean: 120, sigma: 40 } } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Distinct sizes so that every request renders (no cache hit), alternating methods. */
function jobs(count: number, images: number): Array<{ image: number; width: number; height: number; method: 'crop' | 'scale' }> {
  return Array.from({ length: count }, (_, i) => ({
    image: i % images,
    width: 200 + i,
    height: 150 + i,
    method: i % 2 === 0 ? ('scale' as const) : ('crop' as const),
  }));
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
  return (performance.now() - start) / 1000;
}

export async function run(opts: ThumbnailBenchOptions = {}): Promise<ThumbnailBenchResult> {
  const images = opts.images ?? 8;
  const width = opts.width ?? 2400;
  const height = opts.height ?? 1600;
  const count = opts.thumbnails ?? 160;
  const concurrency = opts.concurrency ?? 4;
  const originals = await Promise.all(Array.from({ length: images }, (_, i) => photo(i, width, height)));
  const work = jobs(count, images);

  // Raw sharp: the same decode, resize and encode the server does, from the same bytes.
  const rawSeconds = await pool(work, concurrency, async (j) => {
    const size = outputSize({ width, height }, j);
    await sharp(originals[j.image])
      .rotate()
      .resize(size.width, size.height, { fit: j.method === 'crop' ? 'cover' : 'fill' })
      .jpeg({ quality: 80 })
      .toBuffer();
  });

  // Through the server: dynamic thumbnails and no pre-generated sizes, so every request renders on demand.
  const server = await startMediaTestServer({ dynamicThumbnails: true, thumbnailSizes: [], maxUploadSize: 100 * 1024 * 1024 });
  try {
    const user = await server.user('bench');
    const headers = { Authorization: `Bearer ${user.accessToken}` };
    const ids: string[] = [];
    for (const bytes of originals) {
      const res = await fetch(`${server.baseUrl}/_matrix/media/v3/upload`, { method: 'POST', headers: { ...headers, 'Content-Type': 'image/jpeg' }, body: bytes });
      const { content_uri } = (await res.json()) as { content_uri: string };
      ids.push(content_uri.split('/').pop() ?? '');
    }
    const fetchThumb = async (j: (typeof work)[number]) => {
      const res = await fetch(
        `${server.baseUrl}/_matrix/client/v1/media/thumbnail/localhost/${ids[j.image]}?width=${j.width}&height=${j.height}&method=${j.method}`,
        { headers },
      );
      if (res.status !== 200) throw new Error(`thumbnail request failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    const serverSeconds = await pool(work, concurrency, fetchThumb);
    // The same requests again: now every one is a cache hit served from disk.
    const cachedSeconds = await pool(work, concurrency, fetchThumb);

    const rawRate = count / rawSeconds;
    const row = (path: string, seconds: number): ThumbnailBenchRow => ({
      path,
      thumbnails: count,
      seconds,
      perSecond: count / seconds,
      ratio: count / seconds / rawRate,
    });
    return {
      rows: [row('raw sharp (in-process)', rawSeconds), row('server, rendered on demand', serverSeconds), row('server, cached', cachedSeconds)],
    };
  } finally {
    await server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const opts: ThumbnailBenchOptions = quick ? { images: 3, width: 1200, height: 800, thumbnails: 24 } : {};
  const { rows } = await run(opts);
  process.stdout.write(`thumbnails ${JSON.stringify(opts)}\n`);
  for (const r of rows) {
    process.stdout.write(
      `${r.path.padEnd(28)} ${String(r.thumbnails).padStart(5)} thumbnails  ${r.seconds.toFixed(2).padStart(7)} s  ${r.perSecond.toFixed(1).padStart(8)}/s  ratio ${r.ratio.toFixed(2)}\n`,
    );
  }
}
