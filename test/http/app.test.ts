import { shellOnlyServices } from '../helpers/http.js';
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '@koa/router';
import { createHttpApp } from '../../src/http/app.js';
import { readJsonObject } from '../../src/http/json-body.js';
import { requestLogger } from '../../src/http/context.js';
import { createLogger } from '../../src/http/logger.js';
import { forbidden, limitExceeded } from '../../src/errors/index.js';
import { generateSigningKey } from '../../src/crypto/index.js';
import { serveApp, testConfig } from '../helpers/http.js';

// The HTTP shell over real sockets: routing misses, the error funnel, JSON bodies, CORS and request ids.

const logLines: Array<Record<string, unknown>> = [];
const logger = createLogger('debug', { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });

function probeRouter(): Router {
  const router = new Router({ prefix: '/_test' });
  router.post('/echo', async (ctx) => {
    ctx.body = { got: await readJsonObject(ctx) };
  });
  router.put('/echo', async (ctx) => {
    ctx.body = { got: await readJsonObject(ctx) };
  });
  router.get('/boom', () => {
    throw new Error('database password is hunter2');
  });
  router.get('/forbidden', () => {
    throw forbidden('You shall not pass');
  });
  router.get('/slow-down', () => {
    throw limitExceeded(1500);
  });
  return router;
}

let baseUrl = '';
let close: () => Promise<void> = async () => {};

before(async () => {
  const config = testConfig({ maxRequestBodySize: 1024 });
  const app = createHttpApp({ config, logger, signingKeys: [generateSigningKey('t')], services: shellOnlyServices() }, ['client', 'federation'], {
    extraRouters: [probeRouter()],
  });
  ({ baseUrl, close } = await serveApp(app));
});
after(() => close());

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('routing misses', () => {
  test('an unknown path under /_matrix answers 404 M_UNRECOGNIZED', async () => {
    const res = await fetch(`${baseUrl}/_matrix/client/v3/no_such_endpoint`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal((await json(res)).errcode, 'M_UNRECOGNIZED');
  });

  test('a path outside /_matrix also answers 404 M_UNRECOGNIZED as JSON', async () => {
    const res = await fetch(`${baseUrl}/favicon.ico`);
    assert.equal(res.status, 404);
    assert.equal((await json(res)).errcode, 'M_UNRECOGNIZED');
  });

  test('a known path with the wrong method answers 405 M_UNRECOGNIZED with an Allow header', async () => {
    const res = await fetch(`${baseUrl}/_matrix/client/versions`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 405);
    const body = await json(res);
    assert.equal(body.errcode, 'M_UNRECOGNIZED');
    assert.match(res.headers.get('allow') ?? '', /\bGET\b/);
  });

  test('resources not served by this listener are unrecognized', async () => {
    const config = testConfig();
    const app = createHttpApp({ config, logger, signingKeys: [generateSigningKey('t')], services: shellOnlyServices() }, ['client']);
    const server = await serveApp(app);
    try {
      const res = await fetch(`${server.baseUrl}/_matrix/key/v2/server`);
      assert.equal(res.status, 404);
      assert.equal((await json(res)).errcode, 'M_UNRECOGNIZED');
      const versions = await fetch(`${server.baseUrl}/_matrix/client/versions`);
      assert.equal(versions.status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('error funnel', () => {
  test('a MatrixError keeps its status, errcode and message', async () => {
    const res = await fetch(`${baseUrl}/_test/forbidden`);
    assert.equal(res.status, 403);
    assert.deepEqual(await json(res), { errcode: 'M_FORBIDDEN', error: 'You shall not pass' });
  });

  test('a MatrixError brings its extra fields and headers', async () => {
    const res = await fetch(`${baseUrl}/_test/slow-down`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '2');
    const body = await json(res);
    assert.equal(body.errcode, 'M_LIMIT_EXCEEDED');
    assert.equal(body.retry_after_ms, 1500);
  });

  test('an unexpected exception becomes 500 M_UNKNOWN without internals, and is logged with its stack', async () => {
    const res = await fetch(`${baseUrl}/_test/boom`);
    assert.equal(res.status, 500);
    const text = await res.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    assert.equal(body.errcode, 'M_UNKNOWN');
    assert.doesNotMatch(text, /hunter2/);
    assert.doesNotMatch(text, /\bat .*\.ts:\d+/);
    const logged = logLines.find((l) => (l.err as { message?: string } | undefined)?.message === 'database password is hunter2');
    assert.ok(logged, 'the error is logged');
    assert.match(String((logged.err as { stack?: string }).stack), /app\.test\.ts/);
  });
});

describe('JSON bodies', () => {
  test('a JSON object body reaches the handler', async () => {
    const res = await fetch(`${baseUrl}/_test/echo`, { method: 'POST', body: '{"a":[1,"x"]}' });
    assert.equal(res.status, 200);
    assert.deepEqual(await json(res), { got: { a: [1, 'x'] } });
  });

  test('malformed JSON is M_NOT_JSON', async () => {
    const res = await fetch(`${baseUrl}/_test/echo`, { method: 'POST', body: '{"a":' });
    assert.equal(res.status, 400);
    assert.equal((await json(res)).errcode, 'M_NOT_JSON');
  });

  test('invalid UTF-8 is M_NOT_JSON', async () => {
    const res = await fetch(`${baseUrl}/_test/echo`, { method: 'PUT', body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) });
    assert.equal(res.status, 400);
    assert.equal((await json(res)).errcode, 'M_NOT_JSON');
  });

  test('valid JSON that is not an object is M_BAD_JSON', async () => {
    const res = await fetch(`${baseUrl}/_test/echo`, { method: 'POST', body: '[1,2]' });
    assert.equal(res.status, 400);
    assert.equal((await json(res)).errcode, 'M_BAD_JSON');
  });

  test('a body over max_request_body_size is 413 M_TOO_LARGE', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(4096) });
    const res = await fetch(`${baseUrl}/_test/echo`, { method: 'POST', body: big });
    assert.equal(res.status, 413);
    assert.equal((await json(res)).errcode, 'M_TOO_LARGE');
    // The connection is still usable afterwards.
    const after = await fetch(`${baseUrl}/_test/echo`, { method: 'POST', body: '{}' });
    assert.equal(after.status, 200);
  });
});

describe('CORS', () => {
  test('a preflight is answered without running the endpoint', async () => {
    const res = await fetch(`${baseUrl}/_test/boom`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
    });
    assert.ok(res.status === 204 || res.status === 200, `status ${res.status}`);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, PUT, DELETE, OPTIONS');
    assert.equal(res.headers.get('access-control-allow-headers'), 'X-Requested-With, Content-Type, Authorization');
  });

  test('ordinary and error responses carry the CORS headers', async () => {
    for (const path of ['/_matrix/client/versions', '/_matrix/client/v3/nope', '/_test/boom']) {
      const res = await fetch(`${baseUrl}${path}`);
      await res.arrayBuffer();
      assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
      assert.match(res.headers.get('access-control-allow-methods') ?? '', /OPTIONS/, path);
    }
  });
});

describe('request ids and logs', () => {
  test('a given X-Request-Id is echoed', async () => {
    const res = await fetch(`${baseUrl}/health`, { headers: { 'X-Request-Id': 'abc-123' } });
    await res.text();
    assert.equal(res.headers.get('x-request-id'), 'abc-123');
  });

  test('without one, a fresh id is generated for each request', async () => {
    const a = await fetch(`${baseUrl}/health`);
    const b = await fetch(`${baseUrl}/health`);
    await Promise.all([a.text(), b.text()]);
    const ida = a.headers.get('x-request-id');
    const idb = b.headers.get('x-request-id');
    assert.ok(ida && idb);
    assert.notEqual(ida, idb);
  });

  test('an id with odd characters is replaced, not echoed', async () => {
    const res = await fetch(`${baseUrl}/health`, { headers: { 'X-Request-Id': 'a b"c' } });
    await res.text();
    assert.notEqual(res.headers.get('x-request-id'), 'a b"c');
  });

  test('the request log line has status and duration but never the access token', async () => {
    const res = await fetch(`${baseUrl}/_matrix/client/versions?access_token=syt_secret_token&x=1`, {
      headers: { 'X-Request-Id': 'log-check' },
    });
    await res.json();
    const line = logLines.find((l) => l.reqId === 'log-check' && l.msg === 'request served');
    assert.ok(line, 'a summary line was logged');
    assert.equal(line.status, 200);
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(line.method, 'GET');
    assert.doesNotMatch(JSON.stringify(logLines), /syt_secret_token/);
  });
});

describe('health', () => {
  test('GET /health is 200 OK as text', async () => {
    const res = await fetch(`${baseUrl}/health`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await res.text(), 'OK');
  });
});

describe('request logging above info', () => {
  test('no summary line is written, and a warning still carries the request id, method and redacted url', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const warnLogger = createLogger('warn', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const router = new Router({ prefix: '/_test' });
    router.get('/warn', (ctx) => {
      requestLogger(ctx).warn('careful');
      ctx.body = {};
    });
    const app = createHttpApp({ config: testConfig(), logger: warnLogger, signingKeys: [generateSigningKey('t')], services: shellOnlyServices() }, ['client'], {
      extraRouters: [router],
    });
    const served = await serveApp(app);
    try {
      for (const path of ['/_matrix/client/versions', '/_test/warn?access_token=syt_secret&x=1']) {
        const res = await fetch(`${served.baseUrl}${path}`, { headers: { 'X-Request-Id': 'warn-check' } });
        assert.equal(res.status, 200);
        await res.json();
      }
    } finally {
      await served.close();
    }
    assert.equal(lines.filter((l) => l.msg === 'request served').length, 0);
    const warning = lines.find((l) => l.msg === 'careful');
    assert.ok(warning, 'the warning was logged');
    assert.equal(warning.reqId, 'warn-check');
    assert.equal(warning.method, 'GET');
    assert.match(String(warning.url), /^\/_test\/warn\?access_token=(%3C|<)redacted(%3E|>)&x=1$/);
    assert.doesNotMatch(JSON.stringify(lines), /syt_secret/);
  });
});
