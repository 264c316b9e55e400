import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { startMediaTestServer, type MediaTestServer, type MediaTestUser } from '../../media/helpers.js';
import { dimensions, makePng } from './images.js';

// URL previews against a local web server. Loopback is exactly what the default blacklist forbids, so the
// "works" cases run on a server whose blacklist is relaxed, and the SSRF cases on one with the defaults.

let site: Server;
let siteUrl: string;
let png: Buffer;

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

before(async () => {
  png = await makePng(120, 80);
  site = createServer((req, res) => {
    const port = (site.address() as AddressInfo).port;
    switch (req.url) {
      case '/page':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><html><head>
          <title>Ignored because og:title exists</title>
          <meta property="og:title" content="Caf&eacute; &amp; Matrix">
          <meta property="og:description" content="A page about &quot;previews&quot;">
          <meta property="og:image" content="/image.png">
          </head><body><p>Body</p></body></html>`);
        return;
      case '/plain':
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html><head><title> Just a title </title><meta name="description" content="Described"></head><body></body></html>');
        return;
      case '/image.png':
        res.writeHead(200, { 'Content-Type': 'image/png' });
        res.end(png);
        return;
      case '/big':
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(`<html>${'x'.repeat(64 * 1024)}</html>`);
        return;
      case '/to-blocked':
        res.writeHead(302, { Location: `http://127.0.0.2:${port}/page` });
        res.end();
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  });
  const port = await listen(site, '127.0.0.1');
  siteUrl = `http://127.0.0.1:${port}`;
});
after(() => new Promise<void>((resolve) => site.close(() => resolve())));

async function preview(server: MediaTestServer, user: MediaTestUser, url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.baseUrl}/_matrix/client/v1/media/preview_url?url=${encodeURIComponent(url)}`, {
    headers: { Authorization: `Bearer ${user.accessToken}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('URL previews allowed to reach the local test site', () => {
  let server: MediaTestServer;
  let alice: MediaTestUser;
  before(async () => {
    server = await startMediaTestServer({
      urlPreviewEnabled: true,
      // Loopback allowed except 127.0.0.2, which the redirect test aims at.
      urlPreviewIpRangeBlacklist: ['127.0.0.2/32'],
      maxSpiderSize: 32 * 1024,
    });
    alice = await server.user('alice');
  });
  after(() => server.close());

  test('a page becomes OpenGraph with its image re-hosted as mxc://', async () => {
    const { status, body } = await preview(server, alice, `${siteUrl}/page`);
    assert.equal(status, 200, JSON.stringify(body));
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v1/media/preview_url', 200, body);
    assert.equal(body['og:title'], 'Café & Matrix');
    assert.equal(body['og:description'], 'A page about "previews"');
    assert.match(String(body['og:image']), /^mxc:\/\/localhost\/[A-Za-z0-9]+$/);
    assert.equal(body['matrix:image:size'], png.length);
    assert.equal(body['og:image:type'], 'image/png');
    assert.equal(body['og:image:width'], 120);
    assert.equal(body['og:image:height'], 80);
    const mediaId = String(body['og:image']).split('/').pop();
    const res = await fetch(`${server.baseUrl}/_matrix/client/v1/media/download/localhost/${mediaId}`, {
      headers: { Authorization: `Bearer ${alice.accessToken}` },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.ok(bytes.equals(png));
    assert.deepEqual(await dimensions(bytes).then((d) => [d.width, d.height]), [120, 80]);
  });

  test('falls back to <title> and meta description', async () => {
    const { status, body } = await preview(server, alice, `${siteUrl}/plain`);
    assert.equal(status, 200);
    assert.deepEqual(body, { 'og:title': 'Just a title', 'og:description': 'Described' });
  });

  test('an image URL previews as the image itself', async () => {
    const { status, body } = await preview(server, alice, `${siteUrl}/image.png`);
    assert.equal(status, 200);
    assert.match(String(body['og:image']), /^mxc:\/\//);
    assert.equal(body['matrix:image:size'], png.length);
  });

  test('a redirect to a blacklisted address is refused', async () => {
    const { status, body } = await preview(server, alice, `${siteUrl}/to-blocked`);
    assert.equal(status, 403, JSON.stringify(body));
    assert.equal(body.errcode, 'M_FORBIDDEN');
  });

  test('bodies over max_spider_size are refused with M_TOO_LARGE', async () => {
    const { status, body } = await preview(server, alice, `${siteUrl}/big`);
    assert.equal(status, 502);
    assert.equal(body.errcode, 'M_TOO_LARGE');
  });

  test('the unspecified address 0.0.0.0 is always refused', async () => {
    const port = new URL(siteUrl).port;
    const { status } = await preview(server, alice, `http://0.0.0.0:${port}/page`);
    assert.equal(status, 403);
  });

  test('non-http schemes and junk are refused', async () => {
    assert.equal((await preview(server, alice, 'file:///etc/passwd')).status, 400);
    assert.equal((await preview(server, alice, 'not a url')).status, 400);
  });
});

describe('URL previews with the default IP blacklist', () => {
  let server: MediaTestServer;
  let alice: MediaTestUser;
  before(async () => {
    server = await startMediaTestServer({ urlPreviewEnabled: true });
    alice = await server.user('alice');
  });
  after(() => server.close());

  test('127.0.0.1 is refused', async () => {
    const { status, body } = await preview(server, alice, `${siteUrl}/page`);
    assert.equal(status, 403);
    assert.equal(body.errcode, 'M_FORBIDDEN');
  });

  test('a hostname resolving to loopback is refused after DNS resolution', async () => {
    const port = new URL(siteUrl).port;
    const { status, body } = await preview(server, alice, `http://localhost:${port}/page`);
    assert.equal(status, 403, JSON.stringify(body));
  });

  test('IPv6 loopback and IPv4-mapped loopback are refused', async () => {
    const port = new URL(siteUrl).port;
    assert.equal((await preview(server, alice, `http://[::1]:${port}/page`)).status, 403);
    assert.equal((await preview(server, alice, `http://[::ffff:127.0.0.1]:${port}/page`)).status, 403);
  });
});

describe('URL previews are off by default', () => {
  let server: MediaTestServer;
  let alice: MediaTestUser;
  before(async () => {
    server = await startMediaTestServer();
    alice = await server.user('alice');
  });
  after(() => server.close());

  test('the endpoint is not there (404 M_UNRECOGNIZED), as in Synapse', async () => {
    const { status, body } = await preview(server, alice, `${siteUrl}/page`);
    assert.equal(status, 404);
    assert.equal(body.errcode, 'M_UNRECOGNIZED');
  });
});
