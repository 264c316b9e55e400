import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tooLarge } from '../errors/index.js';

// Where media bytes live. The service names objects by key ("local_content/ab/cd/efgh..."); a backend
// maps keys to storage. Only the filesystem exists today; an S3-compatible backend would implement the
// same interface (returning null from localPath, so the thumbnailer reads through read()).

export interface WrittenObject {
  size: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  /** The first bytes (up to 64), for sniffing. */
  head: Buffer;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export interface MediaBackend {
  /**
   * Streams `source` into the object `key`. Bytes go to a temporary object that becomes `key` only once
   * complete, so readers never see a partial file; past `maxBytes` it fails with M_TOO_LARGE and keeps nothing.
   */
  write(key: string, source: Readable, maxBytes: number): Promise<WrittenObject>;
  writeBuffer(key: string, bytes: Uint8Array): Promise<void>;
  /** A stream of the object (or of `range` of it), or null when it does not exist. */
  read(key: string, range?: ByteRange): Promise<Readable | null>;
  /** The object's size, or null when it does not exist. */
  size(key: string): Promise<number | null>;
  /** A path on this machine for libraries that read files themselves, or null when the backend is remote. */
  localPath(key: string): string | null;
  remove(key: string): Promise<void>;
}

/** Counts, hashes and caps bytes on their way to the file. */
class Meter extends Transform {
  size = 0;
  head = Buffer.alloc(0);
  private readonly hash = createHash('sha256');

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(tooLarge(`Upload exceeds the limit of ${this.maxBytes} bytes`));
      return;
    }
    if (this.head.length < 64) this.head = Buffer.concat([this.head, chunk.subarray(0, 64 - this.head.length)]);
    this.hash.update(chunk);
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

function isSafeKey(key: string): boolean {
  // Keys are built by the service from validated ids; this is the last line against traversal.
  return key.length > 0 && !key.startsWith('/') && key.split('/').every((p) => p !== '' && p !== '.' && p !== '..');
}

export function createFilesystemBackend(root: string): MediaBackend {
  const pathOf = (key: string): string => {
    if (!isSafeKey(key)) throw new Error(`unsafe media key ${JSON.stringify(key)}`);
    return join(root, key);
  };
  const tempPathFor = async (final: string): Promise<string> => {
    await mkdir(dirname(final), { recursive: true });
    return `${final}.${randomBytes(6).toString('hex')}.tmp`;
  };
  const exists = async (path: string): Promise<number | null> => {
    try {
      const s = await stat(path);
      return s.isFile() ? s.size : null;
    } catch {
      return null;
    }
  };

  return {
    async write(key, source, maxBytes) {
      const final = pathOf(key);
      const temp = await tempPathFor(final);
      const meter = new Meter(maxBytes);
      // A go-between, so that a failure (over the limit) destroys it rather than `source`: when the source
      // is a request, destroying it would cut the socket before the 413 is sent.
      const pass = new PassThrough();
      const onAbort = () => pass.destroy(new Error('upload aborted by the client'));
      source.once('aborted', onAbort);
      source.once('error', onAbort);
      source.pipe(pass);
      try {
        await pipeline(pass, meter, createWriteStream(temp, { flags: 'wx' }));
        await rename(temp, final);
      } catch (err) {
        await rm(temp, { force: true });
        // Discard the rest of the body so the connection can still carry the error response.
        source.unpipe(pass);
        source.resume();
        throw err;
      } finally {
        source.off('aborted', onAbort);
        source.off('error', onAbort);
      }
      return { size: meter.size, sha256: meter.digest(), head: meter.head };
    },
    async writeBuffer(key, bytes) {
      const final = pathOf(key);
      const temp = await tempPathFor(final);
      try {
        await writeFile(temp, bytes, { flag: 'wx' });
        await rename(temp, final);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
    },
    async read(key, range) {
      const path = pathOf(key);
      if ((await exists(path)) === null) return null;
      return createReadStream(path, range ? { start: range.start, end: range.end } : {});
    },
    size: (key) => exists(pathOf(key)),
    localPath: (key) => pathOf(key),
    async remove(key) {
      await rm(pathOf(key), { force: true, recursive: true });
    },
  };
}
