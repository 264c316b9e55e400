import type { Context, Middleware } from 'koa';
import { isMatrixError, MatrixError, unknown as unknownError } from '../errors/index.js';
import { requestLogger } from './context.js';

// The ONE place errors become responses. Services and routes throw MatrixError; anything else is a bug
// or an outage and becomes M_UNKNOWN / 500 with nothing internal in the body (the log has the stack).

/** Framework errors (koa's ctx.throw, http-errors) carry a status and an `expose` flag. */
interface HttpLikeError {
  status: number;
  expose: boolean;
  message: string;
}

function isHttpLikeError(err: unknown): err is HttpLikeError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as Record<string, unknown>;
  return typeof e.status === 'number' && typeof e.expose === 'boolean' && typeof e.message === 'string';
}

/** Maps a thrown value to the MatrixError that is sent; the flag says whether it was unexpected. */
export function toMatrixError(err: unknown): { error: MatrixError; unexpected: boolean } {
  if (isMatrixError(err)) return { error: err, unexpected: false };
  if (isHttpLikeError(err) && err.status >= 400 && err.status < 500) {
    const errcode = err.status === 404 || err.status === 405 ? 'M_UNRECOGNIZED' : err.status === 413 ? 'M_TOO_LARGE' : 'M_UNKNOWN';
    return { error: new MatrixError(errcode, err.status, err.expose ? err.message : 'Bad request'), unexpected: false };
  }
  return { error: unknownError(), unexpected: true };
}

export function renderError(ctx: Context, err: unknown): void {
  const { error, unexpected } = toMatrixError(err);
  const log = requestLogger(ctx);
  if (unexpected) log.error({ err }, 'unhandled error while serving request');
  else if (error.status >= 500) log.warn({ errcode: error.errcode, msg: error.message }, 'request failed');
  else log.debug({ errcode: error.errcode, msg: error.message }, 'request refused');
  ctx.status = error.status;
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.body = error.toBody();
}

export function errorFunnel(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      renderError(ctx, err);
    }
  };
}
