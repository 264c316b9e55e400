import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import Koa from 'koa';

// The HTTP ceiling: a bare koa app with no router, auth, database or validation. It reads and parses a JSON body
// and answers JSON like the homeserver does; /wait long-polls until a /wake, the floor for sync wake-up and
// fan-out; /stored serves back a stored JSON document, the floor for a /sync response of that size.
// Runs in-process (quick runs) or as its own process (plain node on this file transpiled, see ceiling.ts).

async function readBody(req: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of req) s += String(chunk);
  return s;
}

export function bareApp(): Koa {
  const app = new Koa();
  let waiters: Array<(body: unknown) => void> = [];
  let stored: unknown = {};
  let counter = 0;
  app.use(async (ctx) => {
    const path = ctx.path;
    if (path === '/wait') {
      ctx.body = await new Promise<unknown>((resolve) => waiters.push(resolve));
    } else if (path === '/wake') {
      const body = JSON.parse((await readBody(ctx.req)) || '{}') as unknown;
      const woken = waiters;
      waiters = [];
      for (const w of woken) w(body);
      ctx.body = { woken: woken.length };
    } else if (path === '/waiters') {
      ctx.body = { waiting: waiters.length };
    } else if (path === '/stored') {
      if (ctx.method === 'PUT') {
        stored = JSON.parse(await readBody(ctx.req)) as unknown;
        ctx.body = {};
      } else ctx.body = stored;
    } else {
      const text = await readBody(ctx.req);
      if (text) JSON.parse(text);
      ctx.body = { event_id: `$${++counter}` };
    }
  });
  return app;
}

export async function listenBare(): Promise<{ baseUrl: string; server: Server }> {
  const server = bareApp().listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, server };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { baseUrl } = await listenBare();
  process.stdout.write(`listening on ${baseUrl}\n`);
}
