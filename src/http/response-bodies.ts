import { pipeline, type Readable } from 'node:stream';
import type Koa from 'koa';
import type { Context } from 'koa';
import { requestLogger } from './context.js';

// Response bodies handed to koa in forms it sends without looking for fetch's classes.
//
// Koa tells an object or stream body from a fetch `Response` with `instanceof Response`, in its body setter
// and again when it writes the response. Reading that global makes node load its whole fetch implementation
// (undici) on the first JSON answer or media download: measured 2.1 MB of heap and ~10 MB of RSS in a bare
// node process, and ~4 MB of the idle server's RSS after a minute of light traffic (82.1 -> 78.3 MB,
// bench/scenarios/memory.ts's traffic), in a server that otherwise needs fetch only for push gateways and
// application services. So JSON bodies are serialized when a route sets them (a string takes koa's first
// branch, before those checks), and media streams are piped here rather than by koa.
//
// What koa's JSON branch did is kept: the type becomes `application/json; charset=utf-8` unless a JSON type was
// set, Content-Length is the serialized length, HEAD answers get it without the body. The body reads back as
// the serialized string; nothing in the server reads a body after setting it.

/** A value koa would have sent as JSON: a plain object or array (not a Buffer, stream, Blob or Response), or a JSON scalar. */
function isJsonBody(value: unknown): boolean {
  if (typeof value === 'number' || typeof value === 'boolean') return true;
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function bodyAccessor(response: object): PropertyDescriptor & { get: () => unknown; set: (v: unknown) => void } {
  for (let o: object | null = response; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, 'body');
    if (d?.get && d.set) return d as PropertyDescriptor & { get: () => unknown; set: (v: unknown) => void };
  }
  throw new Error("koa's response has no body accessor");
}

/** Makes `app`'s responses serialize plain JSON bodies as they are set (see above). */
export function serializeJsonBodies(app: Koa): void {
  const inner = bodyAccessor(app.response);
  Object.defineProperty(app.response, 'body', {
    configurable: true,
    enumerable: inner.enumerable ?? false,
    get: inner.get,
    set(this: Koa.Response, value: unknown) {
      if (!isJsonBody(value)) {
        inner.set.call(this, value);
        return;
      }
      if (!/\bjson\b/i.test(this.type)) this.type = 'json';
      inner.set.call(this, JSON.stringify(value));
    },
  });
}

/**
 * Sends `stream` as the response body, as koa would send a stream body (status and headers set through `ctx`
 * before this call), but piped here, past koa's checks for fetch's classes. Set the headers first: they leave
 * with the first chunk.
 */
export function sendStream(ctx: Context, stream: Readable): void {
  ctx.respond = false;
  // pipeline destroys the stream when the client goes away, as koa does.
  pipeline(stream, ctx.res, (err) => {
    if (err) requestLogger(ctx).debug({ err: err.message }, 'response stream ended early');
  });
}
