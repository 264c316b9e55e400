import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { xMatrixAuthorization } from '../../../src/federation/outbound/index.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { startFederation, user, type FedServer } from '../rooms/harness.js';

// GET /_matrix/federation/v1/media/download/{mediaId}: our media for other servers as multipart/mixed
// (JSON metadata part, then the bytes), byte-identical to what was uploaded; signed requests only.

function parseMultipart(contentType: string, body: Buffer): Array<{ headers: Record<string, string>; body: Buffer }> {
  const m = /boundary=([^;]+)/.exec(contentType);
  assert.ok(m?.[1], `no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts: Array<{ headers: Record<string, string>; body: Buffer }> = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    assert.notEqual(next, -1, 'unterminated part');
    const raw = body.subarray(start + 2, next - 2); // drop the CRLF after the delimiter and before the next
    const split = raw.indexOf('\r\n\r\n');
    const headers: Record<string, string> = {};
    for (const line of raw.subarray(0, split).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, body: raw.subarray(split + 4) });
    at = next;
  }
  return parts;
}

describe('federation media download', () => {
  let hs: FedServer[];
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  before(async () => {
    hs = await startFederation(['hs1.test', 'hs2.test']);
    alice = await user(hs[0] as FedServer, 'alice');
    bob = await user(hs[1] as FedServer, 'bob');
  });
  after(async () => {
    for (const s of hs ?? []) await s.server.close();
  });

  const signedGet = (from: FedServer, to: FedServer, uri: string) =>
    fetch(`${to.server.baseUrl}${uri}`, {
      headers: { Authorization: xMatrixAuthorization({ method: 'GET', uri, origin: from.name, destination: to.name }, from.key) },
    });

  async function upload(body: Buffer, contentType: string, filename: string): Promise<string> {
    const [hs1] = hs as [FedServer, FedServer];
    const up = await fetch(`${hs1.server.baseUrl}/_matrix/media/v3/upload?filename=${filename}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': contentType },
      body,
    });
    assert.equal(up.status, 200);
    return (((await up.json()) as { content_uri: string }).content_uri.split('/').pop() ?? '');
  }

  test('bob on hs2 downloads hs1 media through the authenticated client API, byte-identical; unauthenticated is 404', async () => {
    const [, hs2] = hs as [FedServer, FedServer];
    const bytes = randomBytes(150_000);
    const mediaId = await upload(bytes, 'application/x-test', 'remote.bin');
    const res = await fetch(`${hs2.server.baseUrl}/_matrix/client/v1/media/download/hs1.test/${mediaId}`, {
      headers: { Authorization: `Bearer ${bob.accessToken}` },
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'application/x-test');
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), 'bytes differ');
    assert.match(res.headers.get('content-disposition') ?? '', /remote\.bin/);

    const legacy = await fetch(`${hs2.server.baseUrl}/_matrix/media/v3/download/hs1.test/${mediaId}`);
    assert.equal(legacy.status, 404);
    const missing = await fetch(`${hs2.server.baseUrl}/_matrix/client/v1/media/download/hs1.test/nosuchmedia`, {
      headers: { Authorization: `Bearer ${bob.accessToken}` },
    });
    assert.equal(missing.status, 404);
    const unreachable = await fetch(`${hs2.server.baseUrl}/_matrix/client/v1/media/download/unreachable.test/abc`, {
      headers: { Authorization: `Bearer ${bob.accessToken}` },
    });
    assert.equal(unreachable.status, 502);
  });

  test('bob on hs2 gets a thumbnail of an hs1 image', async () => {
    const [, hs2] = hs as [FedServer, FedServer];
    const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3366cc' } }).png().toBuffer();
    const mediaId = await upload(png, 'image/png', 'pic.png');
    const res = await fetch(`${hs2.server.baseUrl}/_matrix/client/v1/media/thumbnail/hs1.test/${mediaId}?width=64&height=64&method=scale`, {
      headers: { Authorization: `Bearer ${bob.accessToken}` },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    // A thumbnail, not the original: hs1 picks the size (from its configured thumbnail sizes).
    assert.ok((meta.width ?? 0) > 0 && (meta.width ?? 0) < 400, `thumbnail width ${meta.width}`);
  });

  test('hs2 downloads hs1 media byte-identical, as multipart/mixed with a JSON part first', async () => {
    const [hs1, hs2] = hs as [FedServer, FedServer];
    const bytes = randomBytes(70_000);
    const up = await fetch(`${hs1.server.baseUrl}/_matrix/media/v3/upload?filename=blob.bin`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    assert.equal(up.status, 200);
    const mxc = ((await up.json()) as { content_uri: string }).content_uri;
    const mediaId = mxc.split('/').pop() ?? '';

    const res = await signedGet(hs2, hs1, `/_matrix/federation/v1/media/download/${mediaId}`);
    assert.equal(res.status, 200);
    const parts = parseMultipart(res.headers.get('content-type') ?? '', Buffer.from(await res.arrayBuffer()));
    assert.equal(parts.length, 2);
    assert.equal(parts[0]?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(parts[0]?.body.toString('utf8') ?? ''), {});
    assert.equal(parts[1]?.headers['content-type'], 'application/octet-stream');
    assert.ok(parts[1]?.body.equals(bytes), 'bytes differ');

    const missing = await signedGet(hs2, hs1, '/_matrix/federation/v1/media/download/doesnotexist');
    assert.equal(missing.status, 404);
    const unsigned = await fetch(`${hs1.server.baseUrl}/_matrix/federation/v1/media/download/${mediaId}`);
    assert.equal(unsigned.status, 401);
  });
});
