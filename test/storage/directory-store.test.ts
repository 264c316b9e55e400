import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { describeStorage } from '../helpers/storage.js';

// The directory store on both engines: user search over memberships and profiles (LIKE escaping, case,
// several terms, remote users' member names, all-local fallback), room sharing, reports, account flags and
// OpenID tokens.

async function seedUser(knex: Knex, userId: string, displayname: string | null, opts: { deactivated?: boolean } = {}) {
  await knex('users').insert({ user_id: userId, created_ts: 1, deactivated: opts.deactivated ?? false });
  await knex('profiles').insert({ user_id: userId, displayname, avatar_url: displayname ? `mxc://x/${displayname}` : null });
}

let seq = 0;
async function seedMember(knex: Knex, roomId: string, userId: string, membership: string, displayName: string | null = null) {
  const eventId = `$m${++seq}`;
  await knex('room_memberships').insert({
    event_id: eventId,
    room_id: roomId,
    user_id: userId,
    sender: userId,
    membership,
    stream_ordering: seq,
    display_name: displayName,
    avatar_url: null,
  });
  await knex('current_memberships').insert({ room_id: roomId, user_id: userId, membership, event_id: eventId, stream_ordering: seq });
}

describeStorage('directory store', (h) => {
  test('user search matches ids and names case-insensitively, every term, with LIKE wildcards taken literally', async () => {
    const storage = await h.open();
    const { knex } = storage;
    await seedUser(knex, '@alice:x', 'Alice Liddell');
    await seedUser(knex, '@bob:x', 'Bob_100%');
    await seedUser(knex, '@carol:x', null);
    await seedUser(knex, '@lonely:x', 'Lonely One');
    await seedUser(knex, '@gone:x', 'Gone One', { deactivated: true });
    await seedMember(knex, '!r1:x', '@alice:x', 'join');
    await seedMember(knex, '!r1:x', '@bob:x', 'join');
    await seedMember(knex, '!r2:x', '@carol:x', 'join');
    await seedMember(knex, '!r2:x', '@remote:y', 'join', 'Remote Person');
    await seedMember(knex, '!r2:x', '@left:x', 'leave');

    const ids = async (terms: string[], all = false) => (await storage.directory.searchUsers(terms, 10, all)).map((c) => c.userId).sort();
    assert.deepEqual(await ids(['ALICE']), ['@alice:x']);
    assert.deepEqual(await ids(['alice', 'liddell']), ['@alice:x']);
    assert.deepEqual(await ids(['alice', 'nobody']), []);
    assert.deepEqual(await ids(['_100%']), ['@bob:x']);
    assert.deepEqual(await ids(['%']), ['@bob:x']);
    assert.deepEqual(await ids(['remote person']), ['@remote:y']);
    assert.deepEqual(await ids(['person']), ['@remote:y']);
    assert.deepEqual(await ids(['left']), []);
    assert.deepEqual(await ids(['one']), []);
    assert.deepEqual(await ids(['one'], true), ['@lonely:x']);

    const [alice] = await storage.directory.searchUsers(['alice'], 10, false);
    assert.equal(alice?.displayName, 'Alice Liddell');
    assert.equal(alice?.avatarUrl, 'mxc://x/Alice Liddell');
    assert.deepEqual(alice?.joinedRoomIds, ['!r1:x']);
    const [remote] = await storage.directory.searchUsers(['person'], 10, false);
    assert.equal(remote?.displayName, 'Remote Person');

    assert.deepEqual([...(await storage.directory.usersSharingRoomWith('@alice:x'))].sort(), ['@alice:x', '@bob:x']);
    assert.deepEqual([...(await storage.directory.usersSharingRoomWith('@left:x'))], []);
  });

  test('reports are stored, listed by kind in either direction with filters, read and deleted', async () => {
    const { directory } = await h.open();
    const base = { receivedTs: 5, reason: 'r', score: null, targetUserId: null } as const;
    const a = await directory.addReport({ ...base, kind: 'event', reporter: '@a:x', roomId: '!r:x', eventId: '$1', score: -100 });
    const b = await directory.addReport({ ...base, kind: 'event', reporter: '@b:x', roomId: '!s:x', eventId: '$2' });
    await directory.addReport({ ...base, kind: 'user', reporter: '@a:x', roomId: null, eventId: null, targetUserId: '@m:x' });
    const newest = await directory.listReports({ kinds: ['event'], offset: 0, limit: 10, dir: 'b' });
    assert.equal(newest.total, 2);
    assert.deepEqual(newest.reports.map((r) => r.id), [b, a]);
    assert.equal(newest.reports[1]?.score, -100);
    const oldest = await directory.listReports({ kinds: ['event'], offset: 1, limit: 1, dir: 'f' });
    assert.deepEqual(oldest.reports.map((r) => r.id), [b]);
    const byRoom = await directory.listReports({ kinds: ['event'], offset: 0, limit: 10, dir: 'b', roomId: '!r:x' });
    assert.deepEqual(byRoom.reports.map((r) => r.id), [a]);
    assert.equal(byRoom.total, 1);
    assert.equal((await directory.getReport(a))?.eventId, '$1');
    assert.equal(await directory.deleteReport(a), true);
    assert.equal(await directory.deleteReport(a), false);
    assert.equal(await directory.getReport(a), undefined);
  });

  test('account flags and OpenID tokens', async () => {
    const storage = await h.open();
    await seedUser(storage.knex, '@u:x', null);
    assert.deepEqual(await storage.directory.getAccountFlags('@u:x'), { suspended: false, locked: false });
    assert.equal(await storage.directory.setAccountFlag('@u:x', 'suspended', true), true);
    assert.equal(await storage.directory.setAccountFlag('@nobody:x', 'locked', true), false);
    assert.deepEqual(await storage.directory.getAccountFlags('@u:x'), { suspended: true, locked: false });
    assert.equal(await storage.directory.getAccountFlags('@nobody:x'), undefined);

    await storage.directory.addOpenIdToken('h1', '@u:x', 1000, 0);
    assert.equal(await storage.directory.getOpenIdTokenUser('h1', 999), '@u:x');
    assert.equal(await storage.directory.getOpenIdTokenUser('h1', 1000), undefined);
    assert.equal(await storage.directory.getOpenIdTokenUser('nope', 0), undefined);
    // Expired tokens are swept when new ones are stored.
    await storage.directory.addOpenIdToken('h2', '@u:x', 5000, 2000);
    assert.equal(await storage.knex('openid_tokens').where('token_hash', 'h1').first(), undefined);
  });
});
