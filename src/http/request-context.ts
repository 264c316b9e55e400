import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { setRequestInfo, type RequestInfo } from './context.js';
import type { Logger } from './logger.js';

// Outermost middleware: gives each request an id (echoed in X-Request-Id so operators can match a client
// report to log lines), a child logger, and one summary log line when the response is done.

const REQUEST_ID_HEADER = 'X-Request-Id';
// A caller-supplied id is reused only when it cannot smuggle anything odd into headers or logs.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The request URL for logs, with any access_token in the query string blanked out. */
export function redactedUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  if (!params.has('access_token')) return url;
  params.set('access_token', '<redacted>');
  return `${url.slice(0, q)}?${params.toString()}`;
}

export function requestContext(rootLogger: Logger, maxBodyBytes: number): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const given = ctx.get(REQUEST_ID_HEADER);
    const requestId = ACCEPTABLE_ID.test(given) ? given : randomUUID();
    // The child logger is made when something logs: pino serialises its bindings at once, work wasted on every
    // request when the level is above info and nothing else logs (a server run at `warning`).
    const { method, url } = ctx;
    let logger: Logger | undefined;
    const info: RequestInfo = {
      requestId,
      get logger() {
        return (logger ??= rootLogger.child({ reqId: requestId, method, url: redactedUrl(url) }));
      },
      maxBodyBytes,
    };
    setRequestInfo(ctx, info);
    ctx.set(REQUEST_ID_HEADER, requestId);
    try {
      await next();
    } finally {
      if (rootLogger.isLevelEnabled('info')) {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        info.logger.info({ status: ctx.status, durationMs: Math.round(durationMs * 100) / 100 }, 'request served');
      }
    }
  };
}
