import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { sendStream, serializeJsonBodies } from '../../src/http/response-bodies.js';
import { runModuleScript } from '../helpers/child-script.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function withApp(handler: Koa.Middleware, run: (port: number) => Promise<void>): Promise<void> {
  const app = new Koa();
  serializeJsonBodies(app);
  app.use(handler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    await run((server.address() as AddressInfo).port);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

test('an object body is sent as JSON with its type and length, as koa would send it', async () => {
  const body = { ok: true, n: 1, list: ['a', 'é'], nested: { x: null } };
  await withApp(
    (ctx) => {
      ctx.body = body;
    },
    async (port) => {
      const res = await get(port, '/');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.headers['content-length'], String(Buffer.byteLength(JSON.stringify(body))));
      assert.deepEqual(JSON.parse(res.body), body);
      const head = await get(port, '/', 'HEAD');
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(JSON.stringify(body))));
      assert.equal(head.body, '');
    },
  );
});

test('arrays, an explicit status and a JSON type set by the route are kept', async () => {
  await withApp(
    (ctx) => {
      ctx.status = 202;
      ctx.type = 'application/problem+json';
      ctx.body = [1, 2];
    },
    async (port) => {
      const res = await get(port, '/');
      assert.equal(res.status, 202);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      assert.equal(res.body, '[1,2]');
    },
  );
});

test('strings, buffers and streams reach koa untouched', async () => {
  await withApp(
    (ctx) => {
      if (ctx.path === '/text') ctx.body = 'OK';
      else if (ctx.path === '/bytes') ctx.body = Buffer.from([1, 2, 3]);
      else ctx.body = Readable.from(['a', 'b']);
    },
    async (port) => {
      const text = await get(port, '/text');
      assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(text.body, 'OK');
      const bytes = await get(port, '/bytes');
      assert.equal(bytes.headers['content-type'], 'application/octet-stream');
      assert.equal(bytes.headers['content-length'], '3');
      const stream = await get(port, '/stream');
      assert.equal(stream.body, 'ab');
    },
  );
});

test('a stream sent with sendStream arrives whole, with the status and headers set before it', async () => {
  await withApp(
    (ctx) => {
      ctx.status = 206;
      ctx.set('Content-Type', 'image/png');
      ctx.length = 6;
      sendStream(ctx, Readable.from([Buffer.from('abc'), Buffer.from('def')]));
    },
    async (port) => {
      const res = await get(port, '/');
      assert.equal(res.status, 206);
      assert.equal(res.headers['content-type'], 'image/png');
      assert.equal(res.headers['content-length'], '6');
      assert.equal(res.body, 'abcdef');
    },
  );
});

test('answering JSON and streaming a body do not load node\'s fetch implementation', async () => {
  // In a process of its own: this test runner may have loaded fetch already. The child answers a JSON request
  // through the real app (the server's own client router) and reports which of node's modules it loaded.
  const script = `
    import { request } from 'node:http';
    import { Readable } from 'node:stream';
    import Koa from 'koa';
    import { startHttpServer } from ${JSON.stringify(fileURLToPath(new URL('../helpers/http.ts', import.meta.url)))};
    import { sendStream } from ${JSON.stringify(fileURLToPath(new URL('../../src/http/response-bodies.ts', import.meta.url)))};
    const get = (port, path) => new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      }).on('error', reject).end();
    });
    const server = await startHttpServer({ resources: ['client'] });
    const body = await get(new URL(server.baseUrl).port, '/_matrix/client/versions');
    await server.close();
    const app = new Koa();
    app.use((ctx) => sendStream(ctx, Readable.from(['streamed'])));
    const plain = app.listen(0, '127.0.0.1');
    await new Promise((r) => plain.once('listening', r));
    const streamed = await get(plain.address().port, '/');
    await new Promise((r) => plain.close(r));
    process.stdout.write(JSON.stringify({ versions: JSON.parse(body).versions?.length ?? 0, streamed, undici: process.moduleLoadList.some((m) => m.includes('undici')) }));
  `;
  const out = await runModuleScript(script);
  const result = JSON.parse(out) as { versions: number; streamed: string; undici: boolean };
  assert.ok(result.versions > 0, 'the versions answer came back as JSON');
  assert.equal(result.streamed, 'streamed');
  assert.equal(result.undici, false);
});
