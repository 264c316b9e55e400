import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, type MatrixClient } from 'matrix-js-sdk';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { startMediaTestServer, type MediaTestServer, type MediaTestUser } from '../../media/helpers.js';
import { dimensions, makeAnimatedGif, makeAnimatedWebp, makePng, makeRotatedJpeg } from './images.js';

// The media repository driven by matrix-js-sdk, the way Element uploads and shows pictures: upload
// through the SDK, then fetch the SDK's authenticated media URLs with the access token.

describe('media through matrix-js-sdk', () => {
  let server: MediaTestServer;
  let alice: MediaTestUser;
  let client: MatrixClient;
  const auth = () => ({ Authorization: `Bearer ${alice.accessToken}` });

  before(async () => {
    server = await startMediaTestServer({ maxUploadSize: 2 * 1024 * 1024 });
    alice = await server.user('alice');
    client = createClient({ baseUrl: server.baseUrl, accessToken: alice.accessToken, userId: alice.userId });
  });
  after(async () => {
    client.stopClient();
    await server.close();
  });

  async function get(url: string, headers: Record<string, string> = auth()): Promise<{ res: Response; bytes: Buffer }> {
    const res = await fetch(url, { headers });
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  const formats: Array<[string, string, () => Promise<Buffer>]> = [
    ['PNG', 'image/png', () => makePng()],
    ['JPEG', 'image/jpeg', () => makeRotatedJpeg()],
    ['GIF', 'image/gif', () => makeAnimatedGif()],
    ['WebP', 'image/webp', () => makeAnimatedWebp()],
  ];
  for (const [name, type, make] of formats) {
    test(`uploads ${name} and downloads it byte-identical through the authenticated API`, async () => {
      const original = await make();
      const uploaded = await client.uploadContent(original, { type, name: `picture.${name.toLowerCase()}` });
      assertMatchesSpec('client-server', 'post', '/_matrix/media/v3/upload', 200, uploaded);
      assert.match(uploaded.content_uri, /^mxc:\/\/localhost\/[A-Za-z0-9_-]+$/);
      const url = client.mxcUrlToHttp(uploaded.content_uri, undefined, undefined, undefined, false, true, true);
      assert.ok(url !== null && url.includes('/_matrix/client/v1/media/download/'), String(url));
      const { res, bytes } = await get(url);
      assert.equal(res.status, 200);
      assert.ok(bytes.equals(original), 'downloaded bytes differ from the upload');
      assert.equal(res.headers.get('content-type'), type);
      assert.equal(res.headers.get('content-disposition'), `inline; filename=picture.${name.toLowerCase()}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
      assert.match(res.headers.get('content-security-policy') ?? '', /^sandbox;/);
    });
  }

  test('thumbnails come back with the asked dimensions and method', async () => {
    const { content_uri } = await client.uploadContent(await makePng(1000, 700), { type: 'image/png' });
    const cases: Array<[number, number, 'crop' | 'scale', number, number]> = [
      [32, 32, 'crop', 32, 32],
      [96, 96, 'crop', 96, 96],
      // scale fits inside the chosen configured box (320x240) keeping 10:7.
      [320, 240, 'scale', 320, 224],
      [640, 480, 'scale', 640, 448],
      // No configured box covers 150x100 crop: made at exactly that size.
      [150, 100, 'crop', 150, 100],
    ];
    for (const [w, h, method, ew, eh] of cases) {
      const url = client.mxcUrlToHttp(content_uri, w, h, method, false, true, true);
      assert.ok(url !== null && url.includes('/_matrix/client/v1/media/thumbnail/'), String(url));
      const { res, bytes } = await get(url);
      assert.equal(res.status, 200, `${w}x${h} ${method}: ${bytes.toString()}`);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.equal(res.headers.get('content-disposition'), 'inline; filename=thumbnail.png');
      const d = await dimensions(bytes);
      assert.deepEqual([d.width, d.height], [ew, eh], `${w}x${h} ${method}`);
    }
  });

  test('thumbnails follow EXIF orientation and never upscale', async () => {
    const { content_uri } = await client.uploadContent(await makeRotatedJpeg(), { type: 'image/jpeg' });
    // Displayed 900x1200: a 320x240 scale box gives 180x240 (it would be 320x240 unrotated).
    let { res, bytes } = await get(client.mxcUrlToHttp(content_uri, 320, 240, 'scale', false, true, true)!);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(await dimensions(bytes).then((d) => [d.width, d.height]), [180, 240]);
    // Asking for more than the image holds returns the original rather than an upscaled copy.
    ({ res, bytes } = await get(client.mxcUrlToHttp(content_uri, 2000, 2000, 'scale', false, true, true)!));
    assert.equal(res.status, 200);
    assert.deepEqual(await dimensions(bytes).then((d) => [d.width, d.height]), [1200, 900]);
    // A crop bigger than the image in one dimension is the largest crop of that aspect it holds.
    ({ res, bytes } = await get(client.mxcUrlToHttp(content_uri, 1000, 1000, 'crop', false, true, true)!));
    assert.deepEqual(await dimensions(bytes).then((d) => [d.width, d.height]), [900, 900]);
  });

  test('animated=true gives an animated WebP thumbnail of a GIF, animated=false a still one', async () => {
    const { content_uri } = await client.uploadContent(await makeAnimatedGif(), { type: 'image/gif' });
    const base = client.mxcUrlToHttp(content_uri, 96, 96, 'crop', false, true, true)!;
    let { res, bytes } = await get(`${base}&animated=true`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/webp');
    let d = await dimensions(bytes);
    assert.deepEqual([d.width, d.height, d.pages, d.format], [96, 96, 3, 'webp']);
    ({ res, bytes } = await get(`${base}&animated=false`));
    assert.equal(res.headers.get('content-type'), 'image/png');
    d = await dimensions(bytes);
    assert.deepEqual([d.width, d.height, d.pages], [96, 96, 1]);
  });

  test('an oversized upload gets 413 M_TOO_LARGE', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024 + 1, 7);
    await assert.rejects(client.uploadContent(big, { type: 'application/octet-stream' }), (err: { errcode?: string; httpStatus?: number }) => {
      assert.equal(err.errcode, 'M_TOO_LARGE');
      assert.equal(err.httpStatus, 413);
      return true;
    });
    // Chunked (no Content-Length): refused while streaming, and the connection still carries the answer.
    const res = await fetch(`${server.baseUrl}/_matrix/media/v3/upload`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/octet-stream' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(512 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { errcode: string }).errcode, 'M_TOO_LARGE');
  });

  test('the authenticated API needs a token: 401 without one', async () => {
    const { content_uri } = await client.uploadContent(Buffer.from('hello'), { type: 'text/plain' });
    const mediaId = content_uri.split('/').pop()!;
    for (const path of [`download/localhost/${mediaId}`, `thumbnail/localhost/${mediaId}?width=32&height=32`, 'config']) {
      const { res, bytes } = await get(`${server.baseUrl}/_matrix/client/v1/media/${path}`, {});
      assert.equal(res.status, 401, path);
      assert.equal(JSON.parse(bytes.toString()).errcode, 'M_MISSING_TOKEN');
    }
  });

  test('media config reports the upload limit', async () => {
    const config = await client.getMediaConfig(true);
    assert.equal(config['m.upload.size'], 2 * 1024 * 1024);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v1/media/config', 200, config);
  });
});
