import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LocalMedia } from '../../src/storage/interfaces/index.js';
import { describeStorage } from '../helpers/storage.js';

function media(id: string, over: Partial<LocalMedia> = {}): LocalMedia {
  return {
    mediaId: id,
    mediaType: 'image/png',
    mediaLength: 10,
    uploadName: 'a.png',
    userId: '@u:test',
    createdTs: 1000,
    uploadedTs: 1000,
    unusedExpiresTs: null,
    lastAccessTs: null,
    sha256: 'ab'.repeat(32),
    quarantinedBy: null,
    safeFromQuarantine: false,
    authenticated: true,
    urlCache: null,
    ...over,
  };
}

const content = { mediaType: 'text/plain', mediaLength: 3, uploadName: null, sha256: 'cd'.repeat(32), uploadedTs: 5000 };

describeStorage('media store', (h) => {
  test('local media round-trips', async () => {
    const s = await h.open();
    await s.media.insertLocalMedia(media('m1'));
    assert.deepEqual(await s.media.getLocalMedia('m1'), media('m1'));
    assert.equal(await s.media.getLocalMedia('nope'), null);
  });

  test('pending uploads: only the creator, only once, only before expiry', async () => {
    const s = await h.open();
    await s.media.insertPendingMedia({ mediaId: 'p1', userId: '@a:test', createdTs: 1000, unusedExpiresTs: 9000, authenticated: true });
    await s.media.insertPendingMedia({ mediaId: 'p2', userId: '@a:test', createdTs: 1000, unusedExpiresTs: 2000, authenticated: false });
    assert.deepEqual(await s.media.pendingMediaStats('@a:test', 1500), { count: 2, earliestExpiresTs: 2000 });
    assert.deepEqual(await s.media.pendingMediaStats('@a:test', 2500), { count: 1, earliestExpiresTs: 9000 });
    assert.equal(await s.media.checkPendingMedia('p1', '@b:test', 3000), 'forbidden');
    assert.equal(await s.media.completePendingMedia('p1', '@b:test', content, 3000), 'forbidden');
    assert.equal(await s.media.completePendingMedia('p2', '@a:test', content, 3000), 'not_found');
    assert.equal(await s.media.completePendingMedia('p1', '@a:test', content, 3000), 'ok');
    assert.equal(await s.media.completePendingMedia('p1', '@a:test', content, 3000), 'already_uploaded');
    const row = await s.media.getLocalMedia('p1');
    assert.equal(row?.uploadedTs, 5000);
    assert.equal(row?.mediaLength, 3);
    assert.equal(row?.unusedExpiresTs, null);
    assert.deepEqual(await s.media.deleteExpiredPendingMedia(3000), ['p2']);
    assert.equal(await s.media.getLocalMedia('p2'), null);
    assert.ok(await s.media.getLocalMedia('p1'));
  });

  test('quarantine respects safe_from_quarantine; access times; listing; delete removes thumbnails', async () => {
    const s = await h.open();
    await s.media.insertLocalMedia(media('q1', { createdTs: 1 }));
    await s.media.insertLocalMedia(media('q2', { safeFromQuarantine: true, createdTs: 2 }));
    assert.equal(await s.media.setQuarantined('q1', '@admin:test'), true);
    assert.equal(await s.media.setQuarantined('q2', '@admin:test'), false);
    assert.equal((await s.media.getLocalMedia('q1'))?.quarantinedBy, '@admin:test');
    assert.equal(await s.media.setQuarantined('q1', null), true);
    await s.media.updateLastAccess(['q1', 'q2'], 777);
    assert.equal((await s.media.getLocalMedia('q2'))?.lastAccessTs, 777);
    assert.deepEqual((await s.media.listLocalMediaByUser('@u:test', 10, 0)).map((m) => m.mediaId), ['q2', 'q1']);
    const thumb = { width: 32, height: 32, method: 'crop' as const, type: 'image/png', animated: false, length: 100 };
    await s.media.addThumbnail('q1', thumb);
    await s.media.addThumbnail('q1', { ...thumb, length: 120 });
    assert.deepEqual(await s.media.listThumbnails('q1'), [{ ...thumb, length: 120 }]);
    assert.equal(await s.media.deleteLocalMedia('q1'), true);
    assert.deepEqual(await s.media.listThumbnails('q1'), []);
    assert.equal(await s.media.deleteLocalMedia('q1'), false);
  });

  test('URL previews: newest unexpired wins; expired ones are purged', async () => {
    const s = await h.open();
    await s.media.putUrlPreview('https://a/', 'h1', { fetchedTs: 1, expiresTs: 100, responseCode: 200, og: '{"v":1}' });
    await s.media.putUrlPreview('https://a/', 'h1', { fetchedTs: 2, expiresTs: 200, responseCode: 200, og: '{"v":2}' });
    assert.equal((await s.media.getUrlPreview('h1', 50))?.og, '{"v":2}');
    assert.equal(await s.media.getUrlPreview('h1', 300), null);
    assert.equal(await s.media.deleteExpiredUrlPreviews(150), 1);
  });
});
