import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { startMediaTestServer, type MediaTestServer, type MediaTestUser } from '../../media/helpers.js';

// The media endpoints over plain HTTP: legacy access and the freeze, create-then-PUT uploads, ranges and
// the serving headers.

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('media endpoints', () => {
  let server: MediaTestServer;
  let alice: MediaTestUser;
  let bob: MediaTestUser;
  const as = (u: MediaTestUser, extra: Record<string, string> = {}) => ({ Authorization: `Bearer ${u.accessToken}`, ...extra });

  before(async () => {
    server = await startMediaTestServer();
    alice = await server.user('alice');
    bob = await server.user('bob');
  });
  after(() => server.close());

  async function upload(body: string | Buffer, type: string | null, filename?: string): Promise<string> {
    const q = filename === undefined ? '' : `?filename=${encodeURIComponent(filename)}`;
    const headers: Record<string, string> = as(alice);
    if (type !== null) headers['Content-Type'] = type;
    const res = await fetch(`${server.baseUrl}/_matrix/media/v3/upload${q}`, { method: 'POST', headers, body });
    assert.equal(res.status, 200);
    const uri = (await json(res)).content_uri as string;
    return uri.slice('mxc://localhost/'.length);
  }
  const v1 = (path: string) => `${server.baseUrl}/_matrix/client/v1/media/${path}`;

  test('create then PUT: the creator uploads once, others are refused, a second PUT is M_CANNOT_OVERWRITE_MEDIA', async () => {
    const res = await fetch(`${server.baseUrl}/_matrix/media/v1/create`, { method: 'POST', headers: as(alice) });
    assert.equal(res.status, 200);
    const created = await json(res);
    assertMatchesSpec('client-server', 'post', '/_matrix/media/v1/create', 200, created);
    const expires = created.unused_expires_at as number;
    assert.ok(expires > Date.now() + 23 * 3600 * 1000);
    const mediaId = (created.content_uri as string).split('/').pop()!;
    const put = (u: MediaTestUser, body: string) =>
      fetch(`${server.baseUrl}/_matrix/media/v3/upload/localhost/${mediaId}?filename=notes.txt`, {
        method: 'PUT',
        headers: as(u, { 'Content-Type': 'text/plain' }),
        body,
      });

    // A download started before the upload waits for it.
    const early = fetch(v1(`download/localhost/${mediaId}?timeout_ms=5000`), { headers: as(bob) });
    assert.equal((await put(bob, 'not yours')).status, 403);
    const ok = await put(alice, 'hello world');
    assert.equal(ok.status, 200);
    assertMatchesSpec('client-server', 'put', '/_matrix/media/v3/upload/{serverName}/{mediaId}', 200, await json(ok));
    const again = await put(alice, 'overwrite');
    assert.equal(again.status, 409);
    assert.equal((await json(again)).errcode, 'M_CANNOT_OVERWRITE_MEDIA');
    const waited = await early;
    assert.equal(waited.status, 200);
    assert.equal(await waited.text(), 'hello world');
    assert.equal(waited.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(waited.headers.get('content-disposition'), 'inline; filename=notes.txt');
  });

  test('a pending media id answers 504 M_NOT_YET_UPLOADED when the wait runs out; unknown ids 404', async () => {
    const created = await json(await fetch(`${server.baseUrl}/_matrix/media/v1/create`, { method: 'POST', headers: as(alice) }));
    const mediaId = (created.content_uri as string).split('/').pop()!;
    const res = await fetch(v1(`download/localhost/${mediaId}?timeout_ms=100`), { headers: as(alice) });
    assert.equal(res.status, 504);
    assert.equal((await json(res)).errcode, 'M_NOT_YET_UPLOADED');
    const unknown = await fetch(v1('download/localhost/doesNotExist123'), { headers: as(alice) });
    assert.equal(unknown.status, 404);
    assert.equal((await json(unknown)).errcode, 'M_NOT_FOUND');
    const putUnknown = await fetch(`${server.baseUrl}/_matrix/media/v3/upload/localhost/doesNotExist123`, { method: 'PUT', headers: as(alice), body: 'x' });
    assert.equal(putUnknown.status, 404);
  });

  test('too many pending uploads is 429 M_LIMIT_EXCEEDED', async () => {
    const carol = await server.user('carol');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${server.baseUrl}/_matrix/media/v1/create`, { method: 'POST', headers: as(carol) });
      statuses.push(res.status);
      if (res.status === 429) assert.ok(typeof (await json(res)).retry_after_ms === 'number');
      else await res.body?.cancel();
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
  });

  test('media of a server that cannot be reached is 502, as with Synapse', async () => {
    const res = await fetch(v1('download/other.example/abcdefABCDEF'), { headers: as(alice) });
    assert.equal(res.status, 502);
    assert.equal(typeof (await json(res)).errcode, 'string');
  });

  test('legacy unauthenticated download: new media is frozen (404), as with Synapse enable_authenticated_media', async () => {
    const mediaId = await upload('frozen', 'text/plain');
    for (const v of ['v3', 'r0']) {
      const res = await fetch(`${server.baseUrl}/_matrix/media/${v}/download/localhost/${mediaId}`);
      assert.equal(res.status, 404, v);
      assert.equal((await json(res)).errcode, 'M_NOT_FOUND');
    }
  });

  test('unsafe types are served as attachments, with the file name from the path when given', async () => {
    const mediaId = await upload('<script>alert(1)</script>', 'text/html', 'page.html');
    let res = await fetch(v1(`download/localhost/${mediaId}`), { headers: as(alice) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename=page.html');
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    await res.body?.cancel();
    res = await fetch(v1(`download/localhost/${mediaId}/r%C3%A9sum%C3%A9%20final.html`), { headers: as(alice) });
    assert.equal(res.headers.get('content-disposition'), "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20final.html");
    await res.body?.cancel();
    const noType = await upload(Buffer.from('bytes'), null);
    res = await fetch(v1(`download/localhost/${noType}`), { headers: as(alice) });
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.equal(res.headers.get('content-disposition'), 'attachment');
    await res.body?.cancel();
  });

  test('byte ranges: 206 with Content-Range, 416 when unsatisfiable', async () => {
    const mediaId = await upload('0123456789', 'text/plain');
    let res = await fetch(v1(`download/localhost/${mediaId}`), { headers: as(alice, { Range: 'bytes=2-5' }) });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), 'bytes 2-5/10');
    assert.equal(await res.text(), '2345');
    res = await fetch(v1(`download/localhost/${mediaId}`), { headers: as(alice, { Range: 'bytes=-3' }) });
    assert.equal(await res.text(), '789');
    res = await fetch(v1(`download/localhost/${mediaId}`), { headers: as(alice, { Range: 'bytes=20-' }) });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), 'bytes */10');
    await res.body?.cancel();
  });

  test('thumbnail requests are validated; non-images cannot be thumbnailed', async () => {
    const mediaId = await upload('plain text', 'image/png');
    let res = await fetch(v1(`thumbnail/localhost/${mediaId}?width=32&height=32`), { headers: as(alice) });
    assert.equal(res.status, 400);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}', 400, await json(res));
    res = await fetch(v1(`thumbnail/localhost/${mediaId}?width=-1&height=32`), { headers: as(alice) });
    assert.equal(res.status, 400);
    assert.equal((await json(res)).errcode, 'M_INVALID_PARAM');
    res = await fetch(v1(`thumbnail/localhost/${mediaId}?width=32&height=32&method=squash`), { headers: as(alice) });
    assert.equal((await json(res)).errcode, 'M_INVALID_PARAM');
  });

  test('uploads need a token', async () => {
    const res = await fetch(`${server.baseUrl}/_matrix/media/v3/upload`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });

  test('uploads are recorded with uploader, size, type and hash', async () => {
    const mediaId = await upload('abc', 'text/plain', 'abc.txt');
    const row = await server.storage.media.getLocalMedia(mediaId);
    assert.ok(row);
    assert.equal(row.userId, alice.userId);
    assert.equal(row.mediaLength, 3);
    assert.equal(row.mediaType, 'text/plain');
    assert.equal(row.uploadName, 'abc.txt');
    assert.equal(row.sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(row.authenticated, true);
    assert.equal(row.quarantinedBy, null);
    // Quarantined media is no longer served.
    assert.equal(await server.storage.media.setQuarantined(mediaId, '@admin:localhost'), true);
    const res = await fetch(v1(`download/localhost/${mediaId}`), { headers: as(alice) });
    assert.equal(res.status, 404);
    await res.body?.cancel();
  });
});

describe('legacy media before the freeze', () => {
  let server: MediaTestServer;
  let alice: MediaTestUser;
  before(async () => {
    // The freeze is scheduled in the future: uploads made now stay reachable unauthenticated.
    server = await startMediaTestServer({ unauthenticatedMediaFreezeTs: Date.now() + 3600_000 });
    alice = await server.user('alice');
  });
  after(() => server.close());

  test('media uploaded before the freeze date is served on /_matrix/media/v3/download without a token', async () => {
    const res = await fetch(`${server.baseUrl}/_matrix/media/v3/upload?filename=old.txt`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'text/plain' },
      body: 'old media',
    });
    const mediaId = ((await json(res)).content_uri as string).split('/').pop()!;
    const legacy = await fetch(`${server.baseUrl}/_matrix/media/v3/download/localhost/${mediaId}`);
    assert.equal(legacy.status, 200);
    assert.equal(await legacy.text(), 'old media');
    assert.equal(legacy.headers.get('content-disposition'), 'inline; filename=old.txt');
  });
});
