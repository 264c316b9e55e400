import type { Context } from 'koa';
import type { Logger } from './logger.js';

// Per-request values the shell middleware establishes and later middleware reads. They live under a
// symbol on ctx.state (typed `any` by koa) so route code reaches them only through these accessors.

const KEY = Symbol('hearth.request');

export interface RequestInfo {
  requestId: string;
  logger: Logger;
  /** Largest JSON body this request may carry (config.maxRequestBodySize). */
  maxBodyBytes: number;
  /** A parsed body, kept so a validator and the handler can both read it without re-reading the stream. */
  parsedBody?: { value: unknown };
}

function slots(ctx: Context): Record<symbol, unknown> {
  return ctx.state as Record<symbol, unknown>;
}

export function setRequestInfo(ctx: Context, info: RequestInfo): void {
  slots(ctx)[KEY] = info;
}

export function requestInfo(ctx: Context): RequestInfo {
  const info = slots(ctx)[KEY];
  if (!info) throw new Error('request context middleware did not run for this request');
  return info as RequestInfo;
}

/** The request's child logger (carries the request id, method and path). */
export function requestLogger(ctx: Context): Logger {
  return requestInfo(ctx).logger;
}
