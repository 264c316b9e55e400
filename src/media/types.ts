import type { Readable } from 'node:stream';
import type { ByteRange } from './backend.js';

/** Bytes the route layer serves: a download, a thumbnail, or an original served in place of a thumbnail. */
export interface MediaContent {
  /** The Content-Type to send (the uploader's, or the thumbnail's). */
  contentType: string;
  length: number;
  /** The uploader's file name, if any (null for thumbnails). */
  uploadName: string | null;
  /** Opens the bytes, all or an inclusive byte range. */
  open(range?: ByteRange): Promise<Readable>;
}

export interface UploadInput {
  source: Readable;
  /** The request's Content-Type, if given. */
  contentType: string | null;
  /** The `filename` query parameter, if given. */
  filename: string | null;
  /** Content-Length when announced: lets an oversized upload be refused before a byte is read. */
  declaredLength: number | undefined;
}

/** How a download was asked for: the legacy /_matrix/media endpoints are unauthenticated. */
export interface AccessOptions {
  authenticated: boolean;
  /** How long to wait for a pending (created, not yet uploaded) media (timeout_ms). */
  timeoutMs: number;
}
