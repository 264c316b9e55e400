import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { AsConnectionError, createAsClient, type AsClient } from '../../src/appservice/as-client.js';
import type { Registration } from '../../src/appservice/registration.js';
import { AppserviceEntry } from '../../src/appservice/registry.js';
import { runModuleScript } from '../helpers/child-script.js';

// The homeserver's requests to an application service: what goes on the wire, how answers are read, and what a
// service that is down or silent turns into.

const HS_TOKEN = 'hs-token-client-test';

function entry(url: string): AppserviceEntry {
  return new AppserviceEntry(
    {
      id: 'c',
      url,
      asToken: 'as-token-client-test',
      hsToken: HS_TOKEN,
      senderLocalpart: 'cbot',
      namespaces: { users: [], aliases: [], rooms: [] },
      rateLimited: false,
      protocols: [],
      receiveEphemeral: false,
      msc3202: false,
      msc4190: false,
      source: 'as-client.test',
    } as Registration,
    'example.org',
  );
}

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  type: string | undefined;
  body: string;
}

async function read(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('application service client', () => {
  let server: Server;
  let base: string;
  let client: AsClient;
  const seen: Seen[] = [];
  before(async () => {
    server = createServer((req, res) => {
      void read(req).then((body) => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, type: req.headers['content-type'], body });
        if (req.url?.startsWith('/silent')) return; // never answers
        if (req.url?.startsWith('/text')) return res.writeHead(500, { 'Content-Type': 'text/plain' }).end('broken');
        if (req.url?.startsWith('/empty')) return res.writeHead(204).end();
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ echoed: body === '' ? null : JSON.parse(body) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = createAsClient();
  });
  after(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('sends the hs_token, the query and a JSON body, and parses a JSON answer', async () => {
    const res = await client.request(entry(base), {
      method: 'PUT',
      path: '/_matrix/app/v1/transactions/7',
      query: { user_id: '@a:example.org', n: 'x y' },
      body: JSON.stringify({ events: [] }),
      timeoutMs: 5_000,
    });
    assert.deepEqual(res, { status: 200, body: { echoed: { events: [] } } });
    const last = seen.at(-1)!;
    assert.equal(last.method, 'PUT');
    assert.equal(last.url, '/_matrix/app/v1/transactions/7?user_id=%40a%3Aexample.org&n=x+y');
    assert.equal(last.auth, `Bearer ${HS_TOKEN}`);
    assert.equal(last.type, 'application/json');
    assert.equal(last.body, '{"events":[]}');
  });

  test('a body-less GET has no content type; text and empty answers keep their status', async () => {
    const get = await client.request(entry(base), { method: 'GET', path: '/_matrix/app/v1/users/x', timeoutMs: 5_000 });
    assert.deepEqual(get, { status: 200, body: { echoed: null } });
    assert.equal(seen.at(-1)!.type, undefined);
    assert.deepEqual(await client.request(entry(`${base}/text`), { method: 'GET', path: '/p', timeoutMs: 5_000 }), { status: 500, body: 'broken' });
    assert.deepEqual(await client.request(entry(`${base}/empty`), { method: 'GET', path: '/p', timeoutMs: 5_000 }), { status: 204, body: null });
  });

  test('a service that does not answer in time is a timed-out AsConnectionError', async () => {
    const started = Date.now();
    await assert.rejects(client.request(entry(`${base}/silent`), { method: 'GET', path: '/p', timeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof AsConnectionError);
      assert.equal(err.timedOut, true);
      assert.match(err.message, /timed out after 300 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 5_000);
  });

  test('a refused connection is an AsConnectionError that did not time out', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await assert.rejects(client.request(entry(`http://127.0.0.1:${port}`), { method: 'GET', path: '/p', timeoutMs: 5_000 }), (err: unknown) => {
      assert.ok(err instanceof AsConnectionError);
      assert.equal(err.timedOut, false);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });

  test('a service without a url is an AsConnectionError, not a request', async () => {
    const before = seen.length;
    const noUrl = new AppserviceEntry({ ...entry(base).reg, url: null }, 'example.org');
    await assert.rejects(client.request(noUrl, { method: 'GET', path: '/p', timeoutMs: 5_000 }), AsConnectionError);
    assert.equal(seen.length, before);
  });
});

test("requests to a service do not load node's fetch implementation", async () => {
  // In a process of its own: this test runner has loaded fetch already.
  const script = `
    import { createServer } from 'node:http';
    import { createAsClient } from ${JSON.stringify(fileURLToPath(new URL('../../src/appservice/as-client.ts', import.meta.url)))};
    import { AppserviceEntry } from ${JSON.stringify(fileURLToPath(new URL('../../src/appservice/registry.ts', import.meta.url)))};
    const server = createServer((req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}'));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const reg = { id: 'c', url: 'http://127.0.0.1:' + server.address().port, asToken: 'a', hsToken: 'h', senderLocalpart: 'cbot',
      namespaces: { users: [], aliases: [], rooms: [] }, rateLimited: false, protocols: [], receiveEphemeral: false, msc3202: false, msc4190: false, source: 't' };
    const client = createAsClient();
    const res = await client.request(new AppserviceEntry(reg, 'example.org'), { method: 'PUT', path: '/_matrix/app/v1/transactions/1', body: '{}', timeoutMs: 5000 });
    client.close();
    server.close();
    process.stdout.write(JSON.stringify({ body: res.body, undici: process.moduleLoadList.some((m) => m.includes('undici')) }));
  `;
  const result = JSON.parse(await runModuleScript(script)) as { body: unknown; undici: boolean };
  assert.deepEqual(result.body, { ok: true });
  assert.equal(result.undici, false);
});
