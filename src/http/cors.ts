import type { Middleware } from 'koa';

// Client-Server API, "Web Browser Clients": CORS headers on every response, and OPTIONS answered without
// running any endpoint logic.

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization',
};

export function cors(): Middleware {
  return async (ctx, next) => {
    ctx.set(CORS_HEADERS);
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    await next();
  };
}
