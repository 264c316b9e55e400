import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_THUMBNAIL_SIZES } from '../../src/media/settings.js';
import { isValidMediaId, newMediaId } from '../../src/media/ids.js';
import { sniffImage } from '../../src/media/sniff.js';
import { chooseBox, outputSize, planThumbnail, serveOriginalInstead, type SourceImage } from '../../src/media/thumbnail-plan.js';
import { createIpFilter } from '../../src/media/url-preview/ip-filter.js';
import { decodeEntities, parseOpenGraph } from '../../src/media/url-preview/opengraph.js';
import { createUrlBlacklist } from '../../src/media/url-preview/url-blacklist.js';
import { DEFAULT_IP_RANGE_BLOCKLIST } from '../../src/config/defaults.js';
import { contentDisposition, isInlineSafe, parseRange } from '../../src/client/media/serve.js';

describe('media ids', () => {
  test('generated ids are 24 URL-safe characters and unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newMediaId()));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9]{24}$/);
  });
  test('traversal and odd characters are not media ids', () => {
    for (const bad of ['', '..', 'a/b', 'a.b', '%2e%2e', 'a b', 'é']) assert.equal(isValidMediaId(bad), false, bad);
    assert.equal(isValidMediaId('abc_DEF-123'), true);
  });
});

describe('sniffing', () => {
  test('recognises the raster formats by magic bytes and nothing else', () => {
    assert.equal(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
    assert.equal(sniffImage(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')), 'png');
    assert.equal(sniffImage(Buffer.from('GIF89a....')), 'gif');
    assert.equal(sniffImage(Buffer.from('RIFF\0\0\0\0WEBPVP8 ')), 'webp');
    assert.equal(sniffImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg">')), null);
    assert.equal(sniffImage(Buffer.from('%PDF-1.7')), null);
  });
});

describe('thumbnail planning', () => {
  const photo: SourceImage = { width: 1000, height: 700, format: 'jpeg', frames: 1 };

  test('picks the smallest configured box that covers the request, same method', () => {
    assert.deepEqual(chooseBox({ width: 50, height: 50, method: 'crop' }, DEFAULT_THUMBNAIL_SIZES, false), { width: 96, height: 96, method: 'crop' });
    assert.deepEqual(chooseBox({ width: 300, height: 200, method: 'scale' }, DEFAULT_THUMBNAIL_SIZES, false), { width: 320, height: 240, method: 'scale' });
    // Nothing covers it: the request's own box, so the answer is never smaller than asked.
    assert.deepEqual(chooseBox({ width: 100, height: 100, method: 'crop' }, DEFAULT_THUMBNAIL_SIZES, false), { width: 100, height: 100, method: 'crop' });
    assert.deepEqual(chooseBox({ width: 50, height: 50, method: 'crop' }, DEFAULT_THUMBNAIL_SIZES, true), { width: 50, height: 50, method: 'crop' });
  });

  test('scale keeps the aspect ratio inside the box and never upscales', () => {
    assert.deepEqual(outputSize(photo, { width: 320, height: 240, method: 'scale' }), { width: 320, height: 224 });
    assert.deepEqual(outputSize({ width: 700, height: 1000 }, { width: 320, height: 240, method: 'scale' }), { width: 168, height: 240 });
    assert.deepEqual(outputSize({ width: 100, height: 50 }, { width: 800, height: 600, method: 'scale' }), { width: 100, height: 50 });
  });

  test('crop gives the box aspect, shrinking the box rather than upscaling', () => {
    assert.deepEqual(outputSize(photo, { width: 96, height: 96, method: 'crop' }), { width: 96, height: 96 });
    assert.deepEqual(outputSize({ width: 50, height: 200 }, { width: 96, height: 96, method: 'crop' }), { width: 50, height: 50 });
    assert.deepEqual(outputSize({ width: 900, height: 1200 }, { width: 1000, height: 1000, method: 'crop' }), { width: 900, height: 900 });
  });

  test('output types: JPEG stays JPEG, others PNG, animation as WebP only when asked and possible', () => {
    const req = { width: 96, height: 96, method: 'crop' as const, animated: true };
    assert.equal(planThumbnail(photo, req, DEFAULT_THUMBNAIL_SIZES, false).type, 'image/jpeg');
    const gif: SourceImage = { width: 400, height: 300, format: 'gif', frames: 3 };
    assert.deepEqual(
      [planThumbnail(gif, req, DEFAULT_THUMBNAIL_SIZES, false).type, planThumbnail(gif, req, DEFAULT_THUMBNAIL_SIZES, false).animated],
      ['image/webp', true],
    );
    assert.equal(planThumbnail(gif, { ...req, animated: false }, DEFAULT_THUMBNAIL_SIZES, false).type, 'image/png');
    assert.equal(planThumbnail({ ...gif, frames: 1 }, req, DEFAULT_THUMBNAIL_SIZES, false).animated, false);
  });

  test('the original is served when it is no bigger than asked, unless that would animate against the request', () => {
    const small: SourceImage = { width: 50, height: 40, format: 'png', frames: 1 };
    assert.equal(serveOriginalInstead(small, { width: 96, height: 96, method: 'crop', animated: false }), true);
    assert.equal(serveOriginalInstead(photo, { width: 96, height: 96, method: 'crop', animated: false }), false);
    const gif: SourceImage = { width: 50, height: 40, format: 'gif', frames: 3 };
    assert.equal(serveOriginalInstead(gif, { width: 96, height: 96, method: 'crop', animated: false }), false);
    assert.equal(serveOriginalInstead(gif, { width: 96, height: 96, method: 'crop', animated: true }), true);
  });
});

describe('IP filter', () => {
  const filter = createIpFilter(DEFAULT_IP_RANGE_BLOCKLIST, []);
  test('the default blacklist refuses loopback, private, link-local and the unspecified addresses', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.1.1', '172.16.0.1', '169.254.169.254', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1']) {
      assert.equal(filter.allows(ip), false, ip);
    }
    for (const ip of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:93.184.216.34']) assert.equal(filter.allows(ip), true, ip);
    assert.equal(filter.allows('not-an-ip'), false);
  });
  test('the whitelist punches holes in the blacklist', () => {
    const f = createIpFilter(DEFAULT_IP_RANGE_BLOCKLIST, ['10.0.0.5']);
    assert.equal(f.allows('10.0.0.5'), true);
    assert.equal(f.allows('10.0.0.6'), false);
  });
});

describe('URL blacklist', () => {
  const blocked = createUrlBlacklist([{ netloc: '*.example.com' }, { scheme: 'http', netloc: 'plain.org' }, { path: '^/secret/' }]);
  test('an entry matches when all its components match (globs, or regexes starting with ^)', () => {
    assert.equal(blocked(new URL('https://a.example.com/x')), true);
    assert.equal(blocked(new URL('http://plain.org/')), true);
    assert.equal(blocked(new URL('https://plain.org/')), false);
    assert.equal(blocked(new URL('https://other.net/secret/1')), true);
    assert.equal(blocked(new URL('https://other.net/public')), false);
  });
});

describe('OpenGraph parsing', () => {
  const base = new URL('https://site.example/articles/1');
  test('reads og: meta tags in either attribute order and resolves og:image against the page', () => {
    const og = parseOpenGraph(
      `<meta content="Title" property="og:title"><meta property='og:image' content='../img/a.png'><meta name="og:site_name" content=Site>`,
      base,
    );
    assert.deepEqual(og, { 'og:title': 'Title', 'og:image': 'https://site.example/img/a.png', 'og:site_name': 'Site' });
  });
  test('falls back to the first image and to page text, skipping scripts', () => {
    const og = parseOpenGraph('<html><body><script>var x = "<b>no</b>";</script><img src="data:x"><img src="/p.jpg"><p>Hello &amp; welcome</p></body></html>', base);
    assert.equal(og['og:image'], 'https://site.example/p.jpg');
    assert.equal(og['og:description'], 'Hello & welcome');
  });
  test('entities decode', () => {
    assert.equal(decodeEntities('&eacute;&Eacute;&yuml;&#233;&#xE9;&hellip;&bogus;'), 'éÉÿéé…&bogus;');
  });
});

describe('serving helpers', () => {
  test('only the spec list is inline', () => {
    assert.equal(isInlineSafe('image/png'), true);
    assert.equal(isInlineSafe('Text/Plain; charset=utf-8'), true);
    assert.equal(isInlineSafe('text/html'), false);
    assert.equal(isInlineSafe('image/svg+xml'), false);
  });
  test('Content-Disposition names', () => {
    assert.equal(contentDisposition('inline', null), 'inline');
    assert.equal(contentDisposition('inline', 'a.png'), 'inline; filename=a.png');
    assert.equal(contentDisposition('attachment', 'my file (1).txt'), "attachment; filename*=utf-8''my%20file%20%281%29.txt");
    assert.equal(contentDisposition('attachment', 'a"b'), "attachment; filename*=utf-8''a%22b");
  });
  test('ranges', () => {
    assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=5-100', 10), { start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=-4', 10), { start: 6, end: 9 });
    assert.equal(parseRange('bytes=0-1,3-4', 10), null);
    assert.equal(parseRange(undefined, 10), null);
    assert.throws(() => parseRange('bytes=10-', 10), (e: { status?: number }) => e.status === 416);
  });
});
