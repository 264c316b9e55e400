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

describeStorage('room service: send, state, redact', (ctx) => {
  test('messages: txn ids are idempotent per device, also across a restart; non-members get 403', async () => {
    const db = await ctx.createDatabase();
    const storage = await db.open();
    const h = roomHarness(storage);
    const alice = h.user('alice');
    const { room_id } = await h.rooms.createRoom(alice, { preset: 'public_chat' });
    const first = await h.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'hi' }, 'txn1');
    const again = await h.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'hi' }, 'txn1');
    assert.equal(again.event_id, first.event_id);
    const otherDevice = await h.rooms.sendMessageEvent(h.user('alice', { deviceId: 'OTHER' }), room_id, 'm.room.message', { body: 'hi' }, 'txn1');
    assert.notEqual(otherDevice.event_id, first.event_id);
    // concurrent retries of one transaction produce one event
    const racing = await Promise.all([1, 2, 3].map(() => h.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { body: 'x' }, 'txn2')));
    assert.equal(new Set(racing.map((r) => r.event_id)).size, 1);
    await assert.rejects(h.rooms.sendMessageEvent(h.user('bob'), room_id, 'm.room.message', { body: 'x' }, 't'), rejectsWith('M_FORBIDDEN', 403));
    await storage.close();

    const h2 = roomHarness(await db.open(), { signingKey: h.signingKey });
    const afterRestart = await h2.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'hi' }, 'txn1');
    assert.equal(afterRestart.event_id, first.event_id);
    const next = await h2.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { body: 'after' }, 'txn3');
    const events = await roomEvents(h2.storage, room_id);
    assert.equal(events.at(-1)?.eventId, next.event_id);
    assert.equal(events.filter((e) => e.pdu.type === 'm.room.message').length, 4);
    assert.deepEqual(await verifyRoom(h2, room_id), []);
  });

  test('concurrent sends to one room stay a single chain', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const { room_id } = await h.rooms.createRoom(alice, {});
    await Promise.all(Array.from({ length: 20 }, (_, i) => h.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { body: String(i) }, `t${i}`)));
    const events = await roomEvents(h.storage, room_id);
    events.forEach((e, i) => assert.equal(e.depth, i + 1));
    assert.deepEqual(await h.storage.rooms.getForwardExtremities(room_id), [events.at(-1)!.eventId]);
  });

  test('state events: identical repeat returns the existing id; power levels are enforced; state keys starting with @', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const bob = h.user('bob');
    const { room_id } = await h.rooms.createRoom(alice, { preset: 'public_chat' });
    const a = await h.rooms.sendStateEvent(alice, room_id, 'm.room.name', '', { name: 'One' });
    const b = await h.rooms.sendStateEvent(alice, room_id, 'm.room.name', '', { name: 'One' });
    assert.equal(a.event_id, b.event_id);
    const c = await h.rooms.sendStateEvent(alice, room_id, 'm.room.name', '', { name: 'Two' });
    assert.notEqual(c.event_id, a.event_id);
    const stored = await h.storage.rooms.getEvent(c.event_id);
    assert.equal(stored?.replacesState, a.event_id);
    await h.rooms.join(bob, room_id);
    await assert.rejects(h.rooms.sendStateEvent(bob, room_id, 'm.room.name', '', { name: 'Bob' }), rejectsWith('M_FORBIDDEN', 403));
    await assert.rejects(h.rooms.sendStateEvent(bob, room_id, 'org.example', alice.userId, {}), rejectsWith('M_FORBIDDEN', 403));
    await assert.rejects(
      h.rooms.sendStateEvent(alice, room_id, 'm.room.name', '', { name: 'x'.repeat(70000) }),
      rejectsWith('M_TOO_LARGE', 413),
    );
    assert.deepEqual(await verifyRoom(h, room_id), []);
  });

  test('canonical alias must exist and point at the room', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const r1 = (await h.rooms.createRoom(alice, { room_alias_name: 'one' })).room_id;
    const r2 = (await h.rooms.createRoom(alice, {})).room_id;
    await assert.rejects(h.rooms.sendStateEvent(alice, r2, 'm.room.canonical_alias', '', { alias: `#one:${SERVER}` }), rejectsWith('M_BAD_ALIAS', 400));
    await assert.rejects(h.rooms.sendStateEvent(alice, r2, 'm.room.canonical_alias', '', { alias: `#none:${SERVER}` }), rejectsWith('M_BAD_ALIAS', 400));
    await assert.rejects(h.rooms.sendStateEvent(alice, r2, 'm.room.canonical_alias', '', { alias: 'bad' }), rejectsWith('M_INVALID_PARAM', 400));
    await h.rooms.sendStateEvent(alice, r1, 'm.room.canonical_alias', '', { alias: `#one:${SERVER}`, alt_aliases: [] });
    await h.rooms.sendStateEvent(alice, r2, 'm.room.canonical_alias', '', {});
  });

  test('redaction: own events and with redact power apply; others are refused; v11 puts redacts in content', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const bob = h.user('bob');
    for (const version of ['10', '11']) {
      const { room_id } = await h.rooms.createRoom(alice, { preset: 'public_chat', room_version: version });
      await h.rooms.join(bob, room_id);
      const msg = await h.rooms.sendMessageEvent(bob, room_id, 'm.room.message', { body: 'oops' }, `m${version}`);
      const own = await h.rooms.redact(bob, room_id, msg.event_id, 'typo', `r${version}`);
      const again = await h.rooms.redact(bob, room_id, msg.event_id, 'typo', `r${version}`);
      assert.equal(again.event_id, own.event_id);
      assert.equal((await h.storage.rooms.getEvent(msg.event_id))?.redactedBy, own.event_id);
      const red = await h.storage.rooms.getEvent(own.event_id);
      assert.equal(red?.pdu.redacts, msg.event_id);
      assert.equal(red?.pdu.content.reason, 'typo');
      if (version === '11') assert.equal(red?.pdu.content.redacts, msg.event_id);

      const aliceMsg = await h.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { body: 'mine' }, `a${version}`);
      await assert.rejects(h.rooms.redact(bob, room_id, aliceMsg.event_id, undefined, `x${version}`), rejectsWith('M_FORBIDDEN', 403));
      const bobMsg = await h.rooms.sendMessageEvent(bob, room_id, 'm.room.message', { body: 'spam' }, `b${version}`);
      const mod = await h.rooms.redact(alice, room_id, bobMsg.event_id, undefined, `y${version}`);
      assert.equal((await h.storage.rooms.getEvent(bobMsg.event_id))?.redactedBy, mod.event_id);
      const create = (await h.storage.rooms.getCurrentStateEvent(room_id, 'm.room.create', ''))!;
      await assert.rejects(h.rooms.redact(alice, room_id, create.eventId, undefined, `c${version}`), rejectsWith('M_FORBIDDEN', 403));
      assert.deepEqual(await verifyRoom(h, room_id), []);
    }
  });

  test('upgrade: tombstone, predecessor, copied state and bans, moved aliases, restricted old room', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const bob = h.user('bob');
    const carol = h.user('carol');
    const { room_id } = await h.rooms.createRoom(alice, {
      preset: 'public_chat',
      room_version: '10',
      name: 'Old',
      topic: 'T',
      room_alias_name: 'up',
      visibility: 'public',
      creation_content: { type: 'm.space' },
    });
    await h.rooms.join(bob, room_id);
    await h.rooms.ban(alice, room_id, carol.userId, 'spam');
    await assert.rejects(h.rooms.upgradeRoom(bob, room_id, '12'), rejectsWith('M_FORBIDDEN', 403));
    await assert.rejects(h.rooms.upgradeRoom(alice, room_id, '99'), rejectsWith('M_UNSUPPORTED_ROOM_VERSION', 400));

    const { replacement_room } = await h.rooms.upgradeRoom(alice, room_id, '12', [bob.userId]);
    assert.equal((await stateContent(h.storage, room_id, 'm.room.tombstone'))?.replacement_room, replacement_room);
    const create = await stateContent(h.storage, replacement_room, 'm.room.create');
    assert.deepEqual(create?.predecessor, { room_id });
    assert.equal(create?.type, 'm.space');
    assert.equal(create?.room_version, '12');
    assert.deepEqual(create?.additional_creators, [bob.userId]);
    assert.equal((await stateContent(h.storage, replacement_room, 'm.room.name'))?.name, 'Old');
    assert.equal((await stateContent(h.storage, replacement_room, 'm.room.join_rules'))?.join_rule, 'public');
    assert.equal((await stateContent(h.storage, replacement_room, 'm.room.member', carol.userId))?.membership, 'ban');
    assert.equal((await stateContent(h.storage, replacement_room, 'm.room.canonical_alias'))?.alias, `#up:${SERVER}`);
    const pl = (await stateContent(h.storage, replacement_room, 'm.room.power_levels')) as { users: Record<string, number> };
    assert.equal(pl.users[alice.userId], undefined);
    assert.equal((await h.storage.rooms.getRoomIdForAlias(`#up:${SERVER}`))?.roomId, replacement_room);
    assert.equal((await h.storage.rooms.getRoom(replacement_room))?.isPublic, true);
    assert.equal((await h.storage.rooms.getRoom(room_id))?.isPublic, false);
    const oldPl = await stateContent(h.storage, room_id, 'm.room.power_levels');
    assert.equal(oldPl?.events_default, 50);
    assert.equal(oldPl?.invite, 50);
    await assert.rejects(h.rooms.sendMessageEvent(bob, room_id, 'm.room.message', { body: 'x' }, 'late'), rejectsWith('M_FORBIDDEN', 403));
    assert.deepEqual(await verifyRoom(h, room_id), []);
    assert.deepEqual(await verifyRoom(h, replacement_room), []);

    // and back down to a version with listed creators
    const down = (await h.rooms.upgradeRoom(alice, replacement_room, '11')).replacement_room;
    const pl11 = (await stateContent(h.storage, down, 'm.room.power_levels')) as { users: Record<string, number> };
    assert.equal(pl11.users[alice.userId], 100);
    const create11 = await stateContent(h.storage, down, 'm.room.create');
    assert.equal(typeof (create11?.predecessor as Record<string, unknown>).event_id, 'string');
    assert.deepEqual(await verifyRoom(h, down), []);
  });
});
