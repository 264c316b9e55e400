import type { Logger } from '../http/logger.js';
import type { LocalMedia, MediaStore } from '../storage/interfaces/index.js';
import { MatrixError } from '../errors/index.js';
import type { MediaBackend } from './backend.js';
import { contentKey, thumbnailKey } from './keys.js';
import type { MediaSettings } from './settings.js';
import { SNIFF_BYTES, sniffImage, type ImageFormat } from './sniff.js';
import { planThumbnail, serveOriginalInstead, type SourceImage, type ThumbnailRequest, type ThumbnailSpec } from './thumbnail-plan.js';
import { probeImage, renderThumbnail, type ImageInput } from './thumbnailer.js';
import type { MediaContent } from './types.js';

// Thumbnails of local media: served from the on-disk cache, rendered on demand when missing (one render per
// thumbnail at a time), and pre-rendered at the configured sizes when an image is uploaded.

export interface ThumbnailDeps {
  settings: MediaSettings;
  store: MediaStore;
  backend: MediaBackend;
  logger: Logger;
}

const PROBE_CACHE_SIZE = 2000;

function cannotThumbnail(): MatrixError {
  return new MatrixError('M_UNKNOWN', 400, 'Cannot generate thumbnails for the requested content');
}

export class Thumbnails {
  private readonly inflight = new Map<string, Promise<number>>();
  /** Probed sources by media id (media content never changes once uploaded). */
  private readonly probes = new Map<string, SourceImage | null>();

  constructor(private readonly d: ThumbnailDeps) {}

  /** What to serve for a thumbnail request of `media`: a cached or new thumbnail, or the original when it is small. */
  async get(media: LocalMedia, req: ThumbnailRequest, original: MediaContent): Promise<MediaContent> {
    const source = await this.probe(media);
    if (!source) throw cannotThumbnail();
    if (serveOriginalInstead(source, req)) {
      // The thumbnail endpoint promises an image type; the sniffed format is the honest one.
      return { ...original, contentType: `image/${source.format}`, uploadName: null };
    }
    const spec = planThumbnail(source, req, this.d.settings.thumbnailSizes, this.d.settings.dynamicThumbnails);
    const key = thumbnailKey(media.mediaId, spec);
    const length = (await this.d.backend.size(key)) ?? (await this.render(media, source, spec, key));
    return {
      contentType: spec.type,
      length,
      uploadName: null,
      open: async (range) => {
        const stream = await this.d.backend.read(key, range);
        if (!stream) throw cannotThumbnail();
        return stream;
      },
    };
  }

  /** Renders the configured sizes of a new upload in the background; failures only cost a later on-demand render. */
  pregenerate(media: LocalMedia, head: Buffer): void {
    const format = sniffImage(head);
    if (!format) return;
    void (async () => {
      const source = await this.probe(media, format);
      if (!source) return;
      for (const size of this.d.settings.thumbnailSizes) {
        const req: ThumbnailRequest = { ...size, animated: false };
        if (serveOriginalInstead(source, req)) continue;
        const spec = planThumbnail(source, req, this.d.settings.thumbnailSizes, this.d.settings.dynamicThumbnails);
        const key = thumbnailKey(media.mediaId, spec);
        if ((await this.d.backend.size(key)) === null) await this.render(media, source, spec, key);
      }
    })().catch((err: unknown) => this.d.logger.debug({ err, mediaId: media.mediaId }, 'thumbnail pre-generation failed'));
  }

  private input(media: LocalMedia): ImageInput | Promise<ImageInput> {
    const key = contentKey(media.mediaId);
    const path = this.d.backend.localPath(key);
    if (path !== null) return path;
    return (async () => {
      const stream = await this.d.backend.read(key);
      if (!stream) throw cannotThumbnail();
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    })();
  }

  private async probe(media: LocalMedia, known?: ImageFormat): Promise<SourceImage | null> {
    if (this.probes.has(media.mediaId)) return this.probes.get(media.mediaId) ?? null;
    let format = known ?? null;
    if (!format) {
      const stream = await this.d.backend.read(contentKey(media.mediaId), { start: 0, end: SNIFF_BYTES - 1 });
      if (!stream) return null;
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      format = sniffImage(Buffer.concat(chunks));
    }
    // Too-large images throw (413) and are not cached, so the error is repeated on every request.
    const source = format ? await probeImage(await this.input(media), format, this.d.settings.maxImagePixels) : null;
    if (this.probes.size >= PROBE_CACHE_SIZE) {
      const oldest = this.probes.keys().next();
      if (!oldest.done) this.probes.delete(oldest.value);
    }
    this.probes.set(media.mediaId, source);
    return source;
  }

  /** Renders and stores one thumbnail; concurrent requests for the same one share the render. */
  private render(media: LocalMedia, source: SourceImage, spec: ThumbnailSpec, key: string): Promise<number> {
    let job = this.inflight.get(key);
    if (!job) {
      job = (async () => {
        const out = await renderThumbnail(await this.input(media), source, spec, this.d.settings.maxImagePixels);
        await this.d.backend.writeBuffer(key, out.bytes);
        await this.d.store.addThumbnail(media.mediaId, {
          width: out.width,
          height: out.height,
          method: spec.method,
          type: spec.type,
          animated: out.animated,
          length: out.bytes.length,
        });
        return out.bytes.length;
      })().finally(() => this.inflight.delete(key));
      this.inflight.set(key, job);
    }
    return job;
  }
}
