import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPushService, type PushService } from '../../src/push/service.js';
import { MAX_DELAY_MS } from '../../src/push/staged-moves.js';
import { defaultRuleset } from '../../src/protocol/push/index.js';
import { createInProcessNoticeHub } from '../../src/workers/notice-hub.js';
import type { Storage, StoredEvent } from '../../src/storage/interfaces/index.js';
import { countRows, describeStorage, testLogger } from '../helpers/storage.js';
import { roomHarness, SERVER } from '../rooms/harness.js';
import { STAGE_MIN_ROWS } from '../../src/storage/knex/push-store.js';
import { roomPushActions } from '../helpers/push-actions.js';
import { DEFAULT_IP_RANGE_BLOCKLIST } from '../../src/config/defaults.js';
import { createIpPolicy } from '../../src/federation/outbound/index.js';

// Push actions are worked out by the room writer's group commit and land in the events' own transaction: a
// send that returned has its notifications stored, with no evaluation pass after the commit.

function pushService(storage: Storage, skipsMember?: (userId: string) => boolean): PushService {
  return createPushService({
    storage,
    notices: createInProcessNoticeHub(testLogger()),
    logger: testLogger(),
    serverName: SERVER,
    now: () => Date.now(),
    getRuleset: async (userId) => defaultRuleset(userId),
    gatewayIpPolicy: createIpPolicy(DEFAULT_IP_RANGE_BLOCKLIST),
    ...(skipsMember ? { skipsMember } : {}),
  });
}

/** A stored-looking event that is not in the database: what the group commit hands the evaluator. */
function pending(roomId: string, streamOrdering: number, pdu: Record<string, unknown>): StoredEvent {
  return {
    eventId: `$pending${streamOrdering}`,
    roomId,
    streamOrdering,
    depth: 100 + streamOrdering,
    pdu: { room_id: roomId, origin_server_ts: Date.now(), ...pdu } as unknown as StoredEvent['pdu'],
    outlier: false,
    softFailed: false,
    rejectedReason: null,
    replacesState: null,
    redactedBy: null,
    receivedTs: Date.now(),
  };
}

/** alice's public room with bob joined, on a room service built with `opts` (the push port, or none). */
async function aliceAndBob(storage: Storage, opts: Parameters<typeof roomHarness>[1] = {}) {
  const rooms = roomHarness(storage, opts);
  const alice = rooms.user('alice');
  const bob = rooms.user('bob');
  const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
  await rooms.rooms.join(bob, room_id, {});
  return { rooms, alice, bob, room_id };
}

const NONE = { from: new Set<string>(), drafts: new Set<string>() };

/** Rows for events of one commit that is not continued from anything. */
async function evaluateAlone(push: PushService, events: StoredEvent[]) {
  return (await push.evaluateForCommit(events, NONE)).batch;
}

describeStorage('push evaluation in the room writer', (h) => {
  test("a message's push actions are stored when its send returns", async () => {
    const storage = await h.open();
    const push = pushService(storage);
    try {
      const { rooms, alice, bob, room_id } = await aliceAndBob(storage, { pushActions: { evaluate: (events, r) => push.evaluateForCommit(events, r) } });
      const { event_id } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'hi bob' }, 't1');
      const actions = await roomPushActions(storage.push, bob.userId, room_id, 0);
      assert.deepEqual(
        actions.map((a) => [a.eventId, a.notify]),
        [[event_id, true]],
      );
      // The sender is not notified of their own message.
      assert.deepEqual(await roomPushActions(storage.push, alice.userId, room_id, 0), []);
    } finally {
      await push.close();
    }
  });

  test("push actions a commit staged (a big room's, on SQLite) are moved to the per-user table a moment later", async () => {
    const storage = await h.open();
    const push = pushService(storage);
    try {
      const { rooms, alice, bob, room_id } = await aliceAndBob(storage, { pushActions: { evaluate: (events, r) => push.evaluateForCommit(events, r) } });
      for (let i = 0; i < STAGE_MIN_ROWS; i++) await rooms.rooms.join(rooms.user(`member${i}`), room_id, {});
      const count = (table: string) => countRows(storage.knex, table);
      const staged: number[] = [];
      const stagedNow = async () => staged.push(await count('event_push_actions_staging'));
      const sent: string[] = [];
      for (let i = 0; i < 3; i++) {
        sent.push((await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: `hi ${i}` }, `t${i}`)).event_id);
        await stagedNow();
      }
      assert.ok(h.engine === 'postgres' ? staged.every((n) => n === 0) : staged.some((n) => n > 0), `staged rows after each send: ${staged.join(', ')}`);
      const deadline = Date.now() + 5_000;
      while ((await count('event_push_actions_staging')) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await count('event_push_actions_staging'), 0);
      assert.deepEqual((await storage.knex('event_push_actions').select('event_id').where({ user_id: bob.userId }).orderBy('stream_ordering')).map((r: { event_id: string }) => r.event_id), sent);
    } finally {
      await push.close();
    }
  });

  test('where nothing is staged (PostgreSQL), commits with push actions start no moves', async () => {
    const storage = await h.open();
    assert.equal(storage.push.stagesPushActions, h.engine === 'sqlite');
    const push = pushService(storage);
    let moves = 0;
    const rotate = storage.push.rotatePushActions.bind(storage.push);
    storage.push.rotatePushActions = (maxRows) => {
      moves++;
      return rotate(maxRows);
    };
    try {
      // The move the service starts once at start (rows an earlier run left), before anything is sent.
      await new Promise((r) => setTimeout(r, 100));
      const atStart = moves;
      const { rooms, alice, room_id } = await aliceAndBob(storage, { pushActions: { evaluate: (events, r) => push.evaluateForCommit(events, r) } });
      await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'hi bob' }, 't1');
      // Past the delay after which a commit's move would run.
      await new Promise((r) => setTimeout(r, MAX_DELAY_MS + 400));
      assert.equal(moves - atStart, h.engine === 'sqlite' ? 1 : 0);
    } finally {
      await push.close();
    }
  });

  test('a membership change earlier in the same commit decides who a later message notifies', async () => {
    const storage = await h.open();
    const push = pushService(storage);
    try {
      const { alice, bob, room_id } = await aliceAndBob(storage);
      const carol = `@carol:${SERVER}`;
      const batch = await evaluateAlone(push, [
        // carol joins and bob leaves, neither in the database yet, then alice says something.
        pending(room_id, 1_000_001, { type: 'm.room.member', state_key: carol, sender: carol, content: { membership: 'join', displayname: 'Carol' } }),
        pending(room_id, 1_000_002, { type: 'm.room.member', state_key: bob.userId, sender: bob.userId, content: { membership: 'leave' } }),
        pending(room_id, 1_000_003, { type: 'm.room.message', sender: alice.userId, content: { msgtype: 'm.text', body: 'hello Carol', 'm.mentions': { user_ids: [carol] } } }),
      ]);
      const forMessage = (batch?.actions ?? []).filter((a) => a.streamOrdering === 1_000_003);
      assert.deepEqual(
        forMessage.map((a) => [a.userId, a.highlight]),
        // The mention highlights it for her.
        [[carol, true]],
      );
    } finally {
      await push.close();
    }
  });

  test('a power-level change earlier in the same commit applies to a later @room', async () => {
    const storage = await h.open();
    const push = pushService(storage);
    try {
      const { alice, bob, room_id } = await aliceAndBob(storage);
      // bob (power level 0) may not notify the whole room under the default levels (50 for @room)...
      const atRoom = { msgtype: 'm.text', body: '@room look', 'm.mentions': { room: true } };
      const before = await evaluateAlone(push, [pending(room_id, 2_000_001, { type: 'm.room.message', sender: bob.userId, content: atRoom })]);
      assert.notEqual(before?.actions.find((a) => a.userId === alice.userId)?.highlight, true, 'level 0 may not @room');
      // ...but may once a power-levels event earlier in the same commit lowers that to 0.
      const after = await evaluateAlone(push, [
        pending(room_id, 2_000_002, { type: 'm.room.power_levels', state_key: '', sender: alice.userId, content: { users: {}, users_default: 0, notifications: { room: 0 } } }),
        pending(room_id, 2_000_003, { type: 'm.room.message', sender: bob.userId, content: atRoom }),
      ]);
      const row = after?.actions.find((a) => a.userId === alice.userId && a.streamOrdering === 2_000_003);
      assert.equal(row?.highlight, true, '@room allowed at level 0 now');
    } finally {
      await push.close();
    }
  });

  test('members an application service holds get no push actions, whether read from the database or joined in the same pass', async () => {
    const storage = await h.open();
    const puppetOf = (userId: string) => userId.startsWith('@_br_');
    const push = pushService(storage, puppetOf);
    try {
      const { rooms, alice, bob, room_id } = await aliceAndBob(storage);
      const stored = rooms.user('_br_stored');
      await rooms.rooms.join(stored, room_id, {});
      const joining = `@_br_joining:${SERVER}`;
      const batch = await evaluateAlone(push, [
        pending(room_id, 4_000_001, { type: 'm.room.message', sender: alice.userId, content: { msgtype: 'm.text', body: 'one' } }),
        pending(room_id, 4_000_002, { type: 'm.room.member', state_key: joining, sender: joining, content: { membership: 'join' } }),
        pending(room_id, 4_000_003, { type: 'm.room.message', sender: alice.userId, content: { msgtype: 'm.text', body: `two ${joining}`, 'm.mentions': { user_ids: [joining] } } }),
      ]);
      assert.deepEqual(
        (batch?.actions ?? []).map((a) => [a.streamOrdering, a.userId]),
        [
          [4_000_001, bob.userId],
          [4_000_003, bob.userId],
        ],
      );
      assert.ok(stored.userId.startsWith('@_br_'));
    } finally {
      await push.close();
    }
  });

  test("a room's members are kept from one commit to the next only when the writer vouches for it and the commit landed", async () => {
    const storage = await h.open();
    const push = pushService(storage);
    try {
      const rooms = roomHarness(storage);
      const alice = rooms.user('alice');
      const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
      const only = new Set([room_id]);
      const join = (n: number, who: string) => pending(room_id, n, { type: 'm.room.member', state_key: who, sender: who, content: { membership: 'join' } });
      const say = (n: number) => pending(room_id, n, { type: 'm.room.message', sender: alice.userId, content: { msgtype: 'm.text', body: `n${n}` } });
      const notified = (batch: { actions: readonly { userId: string; streamOrdering: number }[] } | null, n: number) =>
        (batch?.actions ?? []).filter((a) => a.streamOrdering === n).map((a) => a.userId);
      const carol = `@carol:${SERVER}`;
      const dave = `@dave:${SERVER}`;

      // carol's join commits (not in this database: the pass is all that knows her).
      const first = await push.evaluateForCommit([join(3_000_001, carol)], { from: only, drafts: only });
      first.committed();
      const next = await push.evaluateForCommit([say(3_000_002)], { from: only, drafts: only });
      assert.deepEqual(notified(next.batch, 3_000_002), [carol], 'the next commit goes on from the kept members');
      next.committed();
      // Without the writer's word the room is read again (and carol is not in the database).
      assert.deepEqual(notified((await push.evaluateForCommit([say(3_000_003)], { from: new Set(), drafts: only })).batch, 3_000_003), []);

      // A commit that did not land leaves nothing behind: dave's join is forgotten.
      const kept = await push.evaluateForCommit([join(3_000_004, carol)], { from: new Set(), drafts: only });
      kept.committed();
      await push.evaluateForCommit([join(3_000_005, dave)], { from: only, drafts: only });
      const after = await push.evaluateForCommit([say(3_000_006)], { from: only, drafts: only });
      assert.deepEqual(notified(after.batch, 3_000_006), [carol]);
      // A commit whose state did not follow from its events alone (federation) is not kept.
      (await push.evaluateForCommit([join(3_000_007, dave)], { from: only, drafts: new Set() })).committed();
      assert.deepEqual(notified((await push.evaluateForCommit([say(3_000_008)], { from: only, drafts: only })).batch, 3_000_008), []);
    } finally {
      await push.close();
    }
  });

  test('events stored after the saved position without evaluation are evaluated at start', async () => {
    const storage = await h.open();
    // A room written with no push evaluation at all (as by a version that evaluated after commit and stopped first).
    const { rooms, alice, bob, room_id } = await aliceAndBob(storage);
    const saved = await storage.rooms.getMaxStreamOrdering();
    await storage.push.recordEvaluation({ actions: [], queue: [], position: { stream: 'push_evaluation', instance: 'master', value: saved } });
    const sent = [];
    for (let i = 0; i < 3; i++) sent.push((await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: `m${i}` }, `t${i}`)).event_id);
    assert.deepEqual(await roomPushActions(storage.push, bob.userId, room_id, 0), []);

    const push = pushService(storage);
    try {
      await push.caughtUp();
      const actions = await roomPushActions(storage.push, bob.userId, room_id, 0);
      assert.deepEqual(
        actions.map((a) => a.eventId),
        sent,
      );
      assert.equal(await storage.streamPositions.getPosition('push_evaluation', 'master'), await storage.rooms.getMaxStreamOrdering());
    } finally {
      await push.close();
    }
  });

  test('a send whose push evaluation fails is still stored, without notifications', async () => {
    const storage = await h.open();
    const { rooms, alice, bob, room_id } = await aliceAndBob(storage, {
      pushActions: {
        evaluate: async () => {
          throw new Error('Unable to acquire a connection');
        },
      },
    });
    const { event_id } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'still here' }, 't1');
    assert.ok(await storage.rooms.getEvent(event_id));
    assert.deepEqual(await roomPushActions(storage.push, bob.userId, room_id, 0), []);
  });
});
