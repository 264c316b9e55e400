import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixError } from '../../src/errors/index.js';
import { describeStorage } from '../helpers/storage.js';
import { roomEvents, roomHarness, SERVER, stateContent, verifyRoom } from './harness.js';

function rejectsWith(errcode: string, status: number) {
  return (err: unknown) => {
    assert.ok(err instanceof MatrixError, `expected a MatrixError, got ${String(err)}`);
    assert.equal(err.errcode, errcode, err.message);
    assert.equal(err.status, status);
    return true;
  };
}

describeStorage('room service: membership', (ctx) => {
  test('join public room by id and alias, leave, rejoin; invite-only rooms need an invite', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const bob = h.user('bob');
    h.profiles.set(bob.userId, { displayname: 'Bob', avatar_url: 'mxc://x/y' });
    const { room_id } = await h.rooms.createRoom(alice, { preset: 'public_chat', room_alias_name: 'pub' });
    assert.deepEqual(await h.rooms.join(bob, `#pub:${SERVER}`), { room_id });
    const member = await stateContent(h.storage, room_id, 'm.room.member', bob.userId);
    assert.deepEqual(member, { membership: 'join', displayname: 'Bob', avatar_url: 'mxc://x/y' });
    // joining again with the same profile creates nothing
    const count = (await roomEvents(h.storage, room_id)).length;
    await h.rooms.join(bob, room_id);
    assert.equal((await roomEvents(h.storage, room_id)).length, count);
    await h.rooms.leave(bob, room_id, 'bye');
    assert.deepEqual(await stateContent(h.storage, room_id, 'm.room.member', bob.userId), { membership: 'leave', reason: 'bye' });
    await h.rooms.leave(bob, room_id); // leaving twice is a no-op
    await h.rooms.join(bob, room_id);

    const priv = (await h.rooms.createRoom(alice, {})).room_id;
    await assert.rejects(h.rooms.join(bob, priv), rejectsWith('M_FORBIDDEN', 403));
    await h.rooms.invite(alice, priv, bob.userId);
    await h.rooms.join(bob, priv);
    assert.equal((await stateContent(h.storage, priv, 'm.room.member', bob.userId))?.membership, 'join');
    await assert.rejects(h.rooms.join(bob, `!unknown:${SERVER}`), rejectsWith('M_NOT_FOUND', 404));
    await assert.rejects(h.rooms.join(bob, `#nope:${SERVER}`), rejectsWith('M_NOT_FOUND', 404));
    assert.deepEqual(await verifyRoom(h, room_id), []);
    assert.deepEqual(await verifyRoom(h, priv), []);
  });

  test('invite rejection, kick, ban, unban and their refusals', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const bob = h.user('bob');
    const carol = h.user('carol');
    const { room_id } = await h.rooms.createRoom(alice, { preset: 'public_chat' });
    await h.rooms.invite(alice, room_id, bob.userId, 'come');
    assert.deepEqual(await stateContent(h.storage, room_id, 'm.room.member', bob.userId), { membership: 'invite', reason: 'come' });
    await h.rooms.leave(bob, room_id); // rejects the invite
    assert.equal((await stateContent(h.storage, room_id, 'm.room.member', bob.userId))?.membership, 'leave');

    await h.rooms.join(bob, room_id);
    await h.rooms.join(carol, room_id);
    await assert.rejects(h.rooms.kick(bob, room_id, carol.userId), rejectsWith('M_FORBIDDEN', 403));
    await assert.rejects(h.rooms.invite(bob, room_id, carol.userId), rejectsWith('M_FORBIDDEN', 403));
    await h.rooms.kick(alice, room_id, carol.userId, 'out');
    assert.deepEqual(await stateContent(h.storage, room_id, 'm.room.member', carol.userId), { membership: 'leave', reason: 'out' });
    await assert.rejects(h.rooms.kick(alice, room_id, carol.userId), rejectsWith('M_FORBIDDEN', 403));
    await h.rooms.ban(alice, room_id, carol.userId);
    await assert.rejects(h.rooms.join(carol, room_id), rejectsWith('M_FORBIDDEN', 403));
    await assert.rejects(h.rooms.unban(alice, room_id, bob.userId), rejectsWith('M_FORBIDDEN', 403));
    await h.rooms.unban(alice, room_id, carol.userId);
    await h.rooms.join(carol, room_id);
    await assert.rejects(h.rooms.invite(alice, room_id, 'nope'), rejectsWith('M_INVALID_PARAM', 400));
    await assert.rejects(h.rooms.invite(alice, room_id, '@x:elsewhere.example'), rejectsWith('M_FORBIDDEN', 403));
    assert.deepEqual(await verifyRoom(h, room_id), []);
  });

  test('knock (v7+) and forget', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const bob = h.user('bob');
    const { room_id } = await h.rooms.createRoom(alice, { initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    await h.rooms.knock(bob, room_id, { reason: 'let me in' });
    assert.deepEqual(await stateContent(h.storage, room_id, 'm.room.member', bob.userId), { membership: 'knock', reason: 'let me in' });
    await h.rooms.leave(bob, room_id); // retracts the knock
    assert.equal((await stateContent(h.storage, room_id, 'm.room.member', bob.userId))?.membership, 'leave');
    const old = (await h.rooms.createRoom(alice, { room_version: '6' })).room_id;
    await assert.rejects(h.rooms.knock(bob, old), rejectsWith('M_FORBIDDEN', 403));

    await assert.rejects(h.rooms.forget(alice, room_id), rejectsWith('M_UNKNOWN', 400));
    await h.rooms.forget(bob, room_id);
    assert.equal(await h.storage.rooms.isRoomForgotten(bob.userId, room_id), true);
    assert.deepEqual([...(await h.storage.rooms.getForgottenRoomIds(bob.userId))], [room_id]);
    await h.rooms.knock(bob, room_id);
    assert.equal(await h.storage.rooms.isRoomForgotten(bob.userId, room_id), false);
    assert.deepEqual(await verifyRoom(h, room_id), []);
  });

  test('restricted join through membership of an allowed local room names an authorising user', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const bob = h.user('bob');
    const carol = h.user('carol');
    const space = (await h.rooms.createRoom(alice, { preset: 'public_chat' })).room_id;
    const { room_id } = await h.rooms.createRoom(alice, {
      room_version: '10',
      initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] } }],
    });
    await assert.rejects(h.rooms.join(bob, room_id), rejectsWith('M_FORBIDDEN', 403));
    await h.rooms.join(bob, space);
    await h.rooms.join(bob, room_id);
    const content = await stateContent(h.storage, room_id, 'm.room.member', bob.userId);
    assert.equal(content?.membership, 'join');
    assert.equal(content?.join_authorised_via_users_server, alice.userId);
    await assert.rejects(h.rooms.join(carol, room_id), rejectsWith('M_FORBIDDEN', 403));
    assert.deepEqual(await verifyRoom(h, room_id), []);
  });

  test('guests join only rooms with guest_access can_join', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const guest = h.user('guest', { isGuest: true });
    const pub = (await h.rooms.createRoom(alice, { preset: 'public_chat' })).room_id;
    await assert.rejects(h.rooms.join(guest, pub), rejectsWith('M_GUEST_ACCESS_FORBIDDEN', 403));
    await h.rooms.sendStateEvent(alice, pub, 'm.room.guest_access', '', { guest_access: 'can_join' });
    await h.rooms.join(guest, pub);
  });

  test('propagateProfile and leaveAllRooms', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const bob = h.user('bob');
    const r1 = (await h.rooms.createRoom(alice, { preset: 'public_chat' })).room_id;
    const r2 = (await h.rooms.createRoom(alice, { preset: 'public_chat' })).room_id;
    const r3 = (await h.rooms.createRoom(alice, {})).room_id;
    await h.rooms.join(bob, r1);
    await h.rooms.join(bob, r2);
    await h.rooms.invite(alice, r3, bob.userId);
    h.profiles.set(bob.userId, { displayname: 'Robert', avatar_url: null });
    await h.rooms.propagateProfile(bob.userId);
    for (const r of [r1, r2]) assert.deepEqual(await stateContent(h.storage, r, 'm.room.member', bob.userId), { membership: 'join', displayname: 'Robert' });
    assert.equal((await stateContent(h.storage, r3, 'm.room.member', bob.userId))?.membership, 'invite');
    await h.rooms.leaveAllRooms(bob.userId);
    for (const r of [r1, r2, r3]) assert.equal((await stateContent(h.storage, r, 'm.room.member', bob.userId))?.membership, 'leave');
    assert.deepEqual(await h.storage.rooms.getRoomsForUser(bob.userId, ['join', 'invite']), []);
  });
});
