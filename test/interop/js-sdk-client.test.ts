import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createClient,
  EventType,
  type MatrixClient,
  type MatrixEvent,
  MatrixError as SdkError,
  RelationType,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
} from 'matrix-js-sdk';
import { startTestServer } from '../helpers/server.js';
import { loginAndStart, registerWithSdk, waitFor } from './sdk-helpers.js';

// Issue 4's acceptance scenario, driven by matrix-js-sdk: the same library Element Web is built on.

describe('matrix-js-sdk drives the client-server API end to end', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let alice: MatrixClient;
  let bob: MatrixClient;
  const rooms: Record<string, string> = {};

  before(async () => {
    server = await startTestServer({ enableRegistration: true });
    await registerWithSdk(server.baseUrl, 'alice', 'alice-password-1');
    await registerWithSdk(server.baseUrl, 'bob', 'bob-password-1');
    alice = await loginAndStart(server.baseUrl, 'alice', 'alice-password-1');
    bob = await loginAndStart(server.baseUrl, 'bob', 'bob-password-1');
  });

  after(async () => {
    alice?.stopClient();
    bob?.stopClient();
    await server?.close();
  });

  for (const version of ['10', '11', '12']) {
    test(`room version ${version}: create, invite, join`, async () => {
      const { room_id } = await alice.createRoom({ room_version: version, preset: 'private_chat' as never, name: `v${version}` });
      rooms[version] = room_id;
      await alice.invite(room_id, bob.getUserId()!);
      await waitFor(bob, RoomEvent.MyMembership, () => bob.getRoom(room_id)?.getMyMembership() === 'invite', 'bob sees the invite');
      await bob.joinRoom(room_id);
      await waitFor(
        alice,
        RoomStateEvent.Members,
        () => alice.getRoom(room_id)?.getMember(bob.getUserId()!)?.membership === 'join',
        'alice sees bob join',
      );
      assert.equal(alice.getRoom(room_id)?.getVersion(), version);
    });
  }

  test('messages, edits and redactions flow between the two clients', async () => {
    const roomId = rooms['12']!;
    const { event_id: original } = await alice.sendTextMessage(roomId, 'hello bob');
    const seen = await waitFor(bob, RoomEvent.Timeline, () => bob.getRoom(roomId)?.findEventById(original), 'bob sees the message');
    assert.equal(seen.getContent().body, 'hello bob');

    const { event_id: edit } = await alice.sendMessage(roomId, {
      msgtype: 'm.text',
      body: '* hello bob!',
      'm.new_content': { msgtype: 'm.text', body: 'hello bob!' },
      'm.relates_to': { rel_type: RelationType.Replace, event_id: original },
    } as never);
    const editSeen = await waitFor(bob, RoomEvent.Timeline, () => bob.getRoom(roomId)?.findEventById(edit), 'bob sees the edit');
    assert.equal(editSeen.getRelation()?.event_id, original);

    const { event_id: doomed } = await bob.sendTextMessage(roomId, 'oops');
    await waitFor(alice, RoomEvent.Timeline, () => alice.getRoom(roomId)?.findEventById(doomed), 'alice sees the message to redact');
    await alice.redactEvent(roomId, doomed);
    const redacted = await waitFor(
      bob,
      RoomEvent.Redaction,
      () => (bob.getRoom(roomId)?.findEventById(doomed)?.isRedacted() ? true : undefined),
      'bob sees the redaction',
    );
    assert.equal(redacted, true);
  });

  test('typing notifications and read receipts arrive', async () => {
    const roomId = rooms['12']!;
    await bob.sendTyping(roomId, true, 10_000);
    await waitFor(alice, RoomMemberEvent.Typing, () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.typing, 'alice sees bob typing');

    const { event_id } = await alice.sendTextMessage(roomId, 'read me');
    const ev = await waitFor(bob, RoomEvent.Timeline, () => bob.getRoom(roomId)?.findEventById(event_id), 'bob gets the message');
    await bob.sendReadReceipt(ev as MatrixEvent);
    await waitFor(
      alice,
      RoomEvent.Receipt,
      () => alice.getRoom(roomId)?.getEventReadUpTo(bob.getUserId()!) === event_id,
      'alice sees bob read receipt',
    );
  });

  test('a display name change shows in the room', async () => {
    const roomId = rooms['12']!;
    await bob.setDisplayName('Bobby');
    await waitFor(alice, RoomMemberEvent.Name, () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.name === 'Bobby', 'alice sees the new name');
  });

  test('a late client paginates back to the start of the conversation', async () => {
    const roomId = rooms['11']!;
    for (let i = 0; i < 30; i++) await alice.sendTextMessage(roomId, `message ${i}`);
    const late = await loginAndStart(server.baseUrl, 'bob', 'bob-password-1', 5);
    try {
      const room = late.getRoom(roomId);
      assert.ok(room, 'the late client knows the room');
      const bodies = () => room.getLiveTimeline().getEvents().map((e) => e.getContent().body as string | undefined);
      for (let i = 0; i < 20 && !bodies().includes('message 0'); i++) await late.scrollback(room, 10);
      assert.ok(bodies().includes('message 0'), 'the first message was reached by back-pagination');
      const idx = bodies().filter((b) => b?.startsWith('message ')).map((b) => Number(b!.slice(8)));
      assert.deepEqual(idx, [...idx].sort((a, b) => a - b), 'events are in order');
    } finally {
      late.stopClient();
    }
  });

  test('leave and ban are seen by both sides', async () => {
    await bob.leave(rooms['10']!);
    await waitFor(alice, RoomStateEvent.Members, () => alice.getRoom(rooms['10']!)?.getMember(bob.getUserId()!)?.membership === 'leave', 'alice sees bob leave');

    await alice.ban(rooms['11']!, bob.getUserId()!, 'bye');
    await waitFor(bob, RoomEvent.MyMembership, () => bob.getRoom(rooms['11']!)?.getMyMembership() === 'ban', 'bob sees the ban');
  });

  test('a room upgrade leaves a tombstone pointing at the new room', async () => {
    const old = rooms['10']!;
    const { replacement_room } = await alice.upgradeRoom(old, '12');
    const tomb = await waitFor(
      alice,
      RoomStateEvent.Events,
      () => alice.getRoom(old)?.currentState.getStateEvents(EventType.RoomTombstone, ''),
      'alice sees the tombstone',
    );
    assert.equal(tomb.getContent().replacement_room, replacement_room);
    const created = await waitFor(alice, RoomEvent.MyMembership, () => alice.getRoom(replacement_room)?.getMyMembership() === 'join', 'alice is in the new room');
    assert.equal(created, true);
  });

  test('logging out invalidates the access token', async () => {
    const token = bob.getAccessToken()!;
    bob.stopClient();
    await bob.logout();
    const stale = createClient({ baseUrl: server.baseUrl, accessToken: token, userId: bob.getUserId()! });
    await assert.rejects(stale.whoami(), (e: unknown) => e instanceof SdkError && e.errcode === 'M_UNKNOWN_TOKEN');
  });
});
