import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { Router } from '@koa/router';
import type { BridgeLogger } from '../../../_shared/src/index.js';

// The bridge's public HTTP server (Slack callbacks, generic inbound webhooks, media links), separate from the
// application-service listener so that only this one needs to face the internet.

export interface PublicServer {
  router: Router;
  /** Starts listening once every route is registered; resolves to the bound port. */
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

export function createPublicServer(logger: BridgeLogger): PublicServer {
  const app = new Koa();
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = 'OK';
  });
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      logger.error({ err, path: ctx.path }, 'public route failed');
      ctx.status = 500;
      ctx.body = { error: 'internal error' };
    }
  });
  let server: Server | null = null;
  return {
    router,
    async listen(port, host) {
      app.use(router.routes()).use(router.allowedMethods());
      app.use((ctx) => {
        ctx.status = 404;
        ctx.body = { error: 'not found' };
      });
      const s = createServer(app.callback());
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => resolve());
      });
      return (s.address() as AddressInfo).port;
    },
    async close() {
      const s = server;
      if (!s) return;
      server = null;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
