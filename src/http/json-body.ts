import type { Readable } from 'node:stream';
import type { Context } from 'koa';
import { badJson, MatrixError, notJson, tooLarge } from '../errors/index.js';
import type { JsonObject } from '../types/json.js';
import { requestInfo } from './context.js';

// Our own JSON body reading: a byte cap enforced before and while reading, strict UTF-8, and the
// spec's error codes (M_TOO_LARGE, M_NOT_JSON, M_BAD_JSON) instead of a generic body parser's.

/**
 * Reads a request body of at most `maxBytes`. A Content-Length above the cap is refused before any
 * byte is read; a body that grows past the cap while streaming is refused as soon as it does.
 */
export async function readRawBody(
  stream: Readable,
  announcedLength: number | undefined,
  maxBytes: number,
): Promise<Buffer> {
  if (announcedLength !== undefined && announcedLength > maxBytes) {
    throw tooLarge(`Request body is ${announcedLength} bytes; the limit is ${maxBytes}`);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('aborted', onAborted);
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err);
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > maxBytes) {
        // Keep draining (and discarding) so the connection stays usable for the 413 response.
        stream.resume();
        fail(tooLarge(`Request body exceeds the limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = () => fail(incompleteBody());
    const onAborted = () => fail(incompleteBody());
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('aborted', onAborted);
  });
}

function incompleteBody(): MatrixError {
  return new MatrixError('M_UNKNOWN', 400, 'Request body was not completely received');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses UTF-8 JSON bytes; anything else is M_NOT_JSON as the spec requires. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw notJson('Content not JSON: body is not valid UTF-8.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw notJson('Content not JSON.');
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface JsonBodyOptions {
  /** Treat an empty body as `{}` (some endpoints tolerate clients that send nothing). */
  allowEmpty?: boolean;
}

function contentLength(ctx: Context): number | undefined {
  const raw = ctx.get('Content-Length');
  if (!raw) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Reads and parses the request's JSON body once; later calls return the same value. */
export async function readJsonBody(ctx: Context, opts: JsonBodyOptions = {}): Promise<unknown> {
  const info = requestInfo(ctx);
  if (info.parsedBody) return info.parsedBody.value;
  const bytes = await readRawBody(ctx.req, contentLength(ctx), info.maxBodyBytes);
  let value: unknown;
  if (bytes.length === 0 || /^\s*$/.test(bytes.toString('latin1'))) {
    if (!opts.allowEmpty) throw notJson('Content not JSON: the request body is empty.');
    value = {};
  } else {
    value = parseJsonBytes(bytes);
  }
  info.parsedBody = { value };
  return value;
}

/** Reads the body and requires a JSON object, as every JSON POST/PUT in the spec takes one. */
export async function readJsonObject(ctx: Context, opts: JsonBodyOptions = {}): Promise<JsonObject> {
  const value = await readJsonBody(ctx, opts);
  if (!isJsonObject(value)) throw badJson('Request body must be a JSON object');
  return value;
}
