import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixError } from '../../src/errors/index.js';
import { describeStorage } from '../helpers/storage.js';
import { roomEvents, roomHarness, SERVER, stateContent, verifyRoom } from './harness.js';

function assertMatrixError(errcode: string, status?: number) {
  return (err: unknown) => {
    assert.ok(err instanceof MatrixError, `expected a MatrixError, got ${String(err)}`);
    assert.equal(err.errcode, errcode, err.message);
    if (status !== undefined) assert.equal(err.status, status);
    return true;
  };
}

describeStorage('room service: createRoom', (ctx) => {
  for (const version of ['1', '10', '11', '12']) {
    test(`room version ${version}: events in spec order, hashes, signatures and auth all verify`, async () => {
      const h = roomHarness(await ctx.open());
      h.profiles.set(`@alice:${SERVER}`, { displayname: 'Alice', avatar_url: null });
      const alice = h.user('alice');
      const { room_id } = await h.rooms.createRoom(alice, {
        room_version: version,
        name: 'Room',
        topic: 'Topic',
        invite: [`@bob:${SERVER}`],
        is_direct: true,
        room_alias_name: `r${version}`,
      });
      const events = await roomEvents(h.storage, room_id);
      assert.deepEqual(
        events.map((e) => e.pdu.type),
        [
          'm.room.create',
          'm.room.member',
          'm.room.power_levels',
          'm.room.canonical_alias',
          'm.room.join_rules',
          'm.room.history_visibility',
          'm.room.guest_access',
          'm.room.name',
          'm.room.topic',
          'm.room.member',
        ],
      );
      assert.deepEqual(await verifyRoom(h, room_id), []);
      const create = events[0]!.pdu;
      const pl = events[2]!.pdu.content as { users: Record<string, number> };
      if (version === '12') {
        assert.equal(room_id, `!${events[0]!.eventId.slice(1)}`);
        assert.equal(create.room_id, undefined);
        assert.deepEqual(pl.users, {});
        assert.ok(!('m.room.create' in Object.fromEntries(events[1]!.pdu.auth_events.map((a) => [a, 1]))));
      } else {
        assert.match(room_id, new RegExp(`^!.+:${SERVER.replace(/\./g, '\\.')}$`));
        assert.equal(pl.users[alice.userId], 100);
      }
      if (version === '1') {
        assert.equal(create.content.creator, alice.userId);
        assert.ok(Array.isArray(events[1]!.pdu.prev_events[0]), 'v1 references are [id, hashes] pairs');
        assert.ok(typeof events[1]!.pdu.event_id === 'string');
      } else if (version !== '10') {
        assert.equal(create.content.creator, undefined);
      }
      assert.equal(create.content.room_version, version);
      assert.equal(events[1]!.pdu.content.displayname, 'Alice');
      const invite = events[9]!.pdu;
      assert.equal(invite.state_key, `@bob:${SERVER}`);
      assert.deepEqual(invite.content, { membership: 'invite', is_direct: true });
      // depth increases by one along a single chain
      events.forEach((e, i) => assert.equal(e.depth, i + 1));
      const members = await h.storage.rooms.getRoomMembers(room_id);
      assert.deepEqual(
        members.map((m) => [m.userId, m.membership]).sort(),
        [
          [alice.userId, 'join'],
          [`@bob:${SERVER}`, 'invite'],
        ],
      );
      const alias = await h.storage.rooms.getRoomIdForAlias(`#r${version}:${SERVER}`);
      assert.equal(alias?.roomId, room_id);
      // one notice per event, after commit, naming member targets
      assert.equal(h.notices.length, 10);
      assert.deepEqual(h.notices[9]!.userIds, [`@bob:${SERVER}`]);
      assert.ok(h.notices.every((n) => n.stream === 'events' && n.roomIds?.[0] === room_id));
    });
  }

  test('identical v12 rooms created by one user in the same millisecond get distinct room ids', async () => {
    const h = roomHarness(await ctx.open(), { now: () => 1_700_000_000_000 });
    const alice = h.user('alice');
    const ids = await Promise.all(Array.from({ length: 5 }, () => h.rooms.createRoom(alice, { room_version: '12' })));
    assert.equal(new Set(ids.map((r) => r.room_id)).size, 5);
  });

  test('presets and visibility: public_chat, private default, trusted_private_chat (v11 levels, v12 creators)', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const pub = (await h.rooms.createRoom(alice, { visibility: 'public' })).room_id;
    assert.equal((await stateContent(h.storage, pub, 'm.room.join_rules'))?.join_rule, 'public');
    assert.equal((await stateContent(h.storage, pub, 'm.room.guest_access'))?.guest_access, 'forbidden');
    assert.equal((await h.storage.rooms.getRoom(pub))?.isPublic, true);

    const priv = (await h.rooms.createRoom(alice, {})).room_id;
    assert.equal((await stateContent(h.storage, priv, 'm.room.join_rules'))?.join_rule, 'invite');
    assert.equal((await stateContent(h.storage, priv, 'm.room.history_visibility'))?.history_visibility, 'shared');
    assert.equal((await stateContent(h.storage, priv, 'm.room.guest_access'))?.guest_access, 'can_join');
    assert.equal((await h.storage.rooms.getRoom(priv))?.isPublic, false);

    const bob = `@bob:${SERVER}`;
    const t11 = (await h.rooms.createRoom(alice, { preset: 'trusted_private_chat', invite: [bob], room_version: '11' })).room_id;
    const pl11 = (await stateContent(h.storage, t11, 'm.room.power_levels')) as { users: Record<string, number> };
    assert.equal(pl11.users[bob], 100);
    const t12 = (await h.rooms.createRoom(alice, { preset: 'trusted_private_chat', invite: [bob] })).room_id;
    assert.deepEqual((await stateContent(h.storage, t12, 'm.room.create'))?.additional_creators, [bob]);
    const pl12 = (await stateContent(h.storage, t12, 'm.room.power_levels')) as { users: Record<string, number>; events: Record<string, number> };
    assert.deepEqual(pl12.users, {});
    assert.equal(pl12.events['m.room.tombstone'], 150);
    assert.deepEqual(await verifyRoom(h, t12), []);
  });

  test('initial_state replaces preset events; override and creation_content apply', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const { room_id } = await h.rooms.createRoom(alice, {
      preset: 'public_chat',
      initial_state: [
        { type: 'm.room.join_rules', content: { join_rule: 'invite' } },
        { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
      ],
      power_level_content_override: { events_default: 10 },
      creation_content: { type: 'm.space', 'm.federate': false, room_version: '1' },
    });
    const events = await roomEvents(h.storage, room_id);
    assert.equal(events.filter((e) => e.pdu.type === 'm.room.join_rules').length, 1);
    assert.equal((await stateContent(h.storage, room_id, 'm.room.join_rules'))?.join_rule, 'invite');
    assert.equal((await stateContent(h.storage, room_id, 'm.room.encryption'))?.algorithm, 'm.megolm.v1.aes-sha2');
    assert.equal((await stateContent(h.storage, room_id, 'm.room.power_levels'))?.events_default, 10);
    const create = await stateContent(h.storage, room_id, 'm.room.create');
    assert.equal(create?.type, 'm.space');
    assert.equal(create?.['m.federate'], false);
    assert.equal(create?.room_version, '12');
  });

  test('errors: unknown version, alias in use, bad alias, bad invitee, guests, power levels that lock the creator out', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    await assert.rejects(h.rooms.createRoom(alice, { room_version: '99' }), assertMatrixError('M_UNSUPPORTED_ROOM_VERSION', 400));
    await h.rooms.createRoom(alice, { room_alias_name: 'taken' });
    await assert.rejects(h.rooms.createRoom(alice, { room_alias_name: 'taken' }), assertMatrixError('M_ROOM_IN_USE', 400));
    await assert.rejects(h.rooms.createRoom(alice, { room_alias_name: 'a:b' }), assertMatrixError('M_INVALID_PARAM', 400));
    await assert.rejects(h.rooms.createRoom(alice, { invite: ['not-a-user'] }), assertMatrixError('M_INVALID_PARAM', 400));
    await assert.rejects(h.rooms.createRoom(h.user('guest', { isGuest: true }), {}), assertMatrixError('M_GUEST_ACCESS_FORBIDDEN', 403));
    const before = await h.storage.rooms.getMaxStreamOrdering();
    await assert.rejects(
      h.rooms.createRoom(alice, { room_version: '11', power_level_content_override: { users: {}, state_default: 100 }, name: 'x' }),
      assertMatrixError('M_INVALID_ROOM_STATE', 400),
    );
    // nothing of the failed room was persisted
    assert.equal(await h.storage.rooms.getMaxStreamOrdering(), before);
  });
});
