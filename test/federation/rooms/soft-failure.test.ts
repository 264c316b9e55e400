import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';
import { buildPdu, fedRequest, roomHeads, sendTransaction, type RoomView } from './forge.js';

// Soft failure (server-server API, "Soft failure"): bob on hs2 is banned on hs1, then hs2 sends events from
// bob that cite prev events from before the ban. They pass against the state before them but not against
// the current state, so hs1 stores them without letting them into the live room: not in /sync, /messages,
// /event or /context, not notified, not a prev event of our next event, and a soft-failed invite or kick
// of a local user changes nothing for that user.

describe('federation: soft-failed events', () => {
  let hs1: FedServer;
  let hs2: FedServer;
  let alice: RegisteredUser;
  let erin: RegisteredUser;
  let frank: RegisteredUser;
  let bob: RegisteredUser;
  let dave: RegisteredUser;
  let roomId: string;
  let view: RoomView;
  let beforeBan: string;
  let softMessage: string;
  let softInvite: string;
  let softKick: string;
  let aliceSince: string;
  let erinSince: string;
  let frankSince: string;

  const sync = async (u: RegisteredUser, since?: string) =>
    (await api(hs1, u, 'GET', `/_matrix/client/v3/sync?timeout=0${since !== undefined ? `&since=${enc(since)}` : ''}`)).body;
  const timelineIds = (body: Record<string, unknown>): string[] => {
    const join = ((body.rooms as Record<string, unknown> | undefined)?.join ?? {}) as Record<string, { timeline?: { events?: Array<{ event_id: string }> } }>;
    return (join[roomId]?.timeline?.events ?? []).map((e) => e.event_id);
  };

  before(async () => {
    [hs1, hs2] = (await startFederation(['hs1.test', 'hs2.test'])) as [FedServer, FedServer];
    alice = await user(hs1, 'alice');
    erin = await user(hs1, 'erin');
    frank = await user(hs1, 'frank');
    bob = await user(hs2, 'bob');
    dave = await user(hs2, 'dave');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' });
    roomId = created.body.room_id as string;
    for (const u of [bob, dave]) {
      const joined = await api(hs2, u, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?server_name=hs1.test`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
    }
    assert.equal((await api(hs1, erin, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {})).status, 200);
    await until('hs1 sees bob and dave', async () =>
      (await membership(hs1, alice, roomId, bob.userId)) === 'join' && (await membership(hs1, alice, roomId, dave.userId)) === 'join');
    const room = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.create/`);
    view = { resident: hs1, viewer: alice, roomId, version: (room.body.room_version as string | undefined) ?? '1' };
    // bob may invite (the room's invite level is above a default member's) until he is banned.
    const pl = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`);
    const users = { ...((pl.body.users as Record<string, number> | undefined) ?? {}), [bob.userId]: 50 };
    const raised = await api(hs1, alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`, { ...pl.body, users, invite: 50 });
    assert.equal(raised.status, 200, JSON.stringify(raised.body));
    beforeBan = (await roomHeads(view)).latest;
    // Auth events as they were before the ban (bob's join among them): what a server that missed the ban would cite.
    const heads = await roomHeads(view);
    const v12 = view.version === '12';
    const old = (...keys: Array<[string, string?]>) =>
      keys
        .filter(([t]) => !(v12 && t === 'm.room.create'))
        .map(([t, k]) => heads.stateId(t, k ?? ''))
        .filter((x): x is string => x !== undefined);
    const base: Array<[string, string?]> = [['m.room.create'], ['m.room.power_levels'], ['m.room.member', bob.userId]];
    const ban = await api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/ban`, { user_id: bob.userId, reason: 'spam' });
    assert.equal(ban.status, 200);
    aliceSince = (await sync(alice)).next_batch as string;
    erinSince = (await sync(erin)).next_batch as string;
    frankSince = (await sync(frank)).next_batch as string;

    const msg = await buildPdu(view, hs2, bob.userId, 'm.room.message', { msgtype: 'm.text', body: 'alice: banned but still talking' }, {
      prevEvents: [beforeBan],
      authEvents: old(...base),
    });
    const invite = await buildPdu(view, hs2, bob.userId, 'm.room.member', { membership: 'invite' }, {
      stateKey: frank.userId,
      prevEvents: [beforeBan],
      authEvents: old(...base, ['m.room.join_rules']),
    });
    const kick = await buildPdu(view, hs2, bob.userId, 'm.room.member', { membership: 'leave' }, {
      stateKey: erin.userId,
      prevEvents: [beforeBan],
      authEvents: old(...base, ['m.room.member', erin.userId]),
    });
    softMessage = msg.eventId;
    softInvite = invite.eventId;
    softKick = kick.eventId;
    const res = await sendTransaction(hs2, hs1, [msg.pdu, invite.pdu, kick.pdu]);
    assert.equal(res.status, 200);
    // Soft failure is not an error to the sender: the events were accepted and stored.
    assert.deepEqual(res.body.pdus, { [softMessage]: {}, [softInvite]: {}, [softKick]: {} });
  });
  after(async () => {
    await hs2?.server.close();
    await hs1?.server.close();
  });

  test('the soft-failed message is not served by /messages, /event, /context or /sync', async () => {
    assert.ok(!(await bodies(hs1, alice, roomId)).includes('alice: banned but still talking'));
    const ev = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(softMessage)}`);
    assert.equal(ev.status, 404);
    const ctx = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/context/${enc(softMessage)}`);
    assert.equal(ctx.status, 404);
    // A message after it arrives, so an incremental sync covering both is known to have looked.
    await send(hs2, dave, roomId, 'alice: dave is fine');
    await until('dave\'s message reaches hs1', async () => (await bodies(hs1, alice, roomId)).includes('alice: dave is fine'));
    const incremental = await sync(alice, aliceSince);
    assert.ok(!timelineIds(incremental).includes(softMessage));
    assert.equal(timelineIds(incremental).length > 0, true, 'dave\'s message is in the same sync');
    assert.ok(!timelineIds(await sync(alice)).includes(softMessage));
  });

  test('the soft-failed message is not notified, the later one is', async () => {
    const notified = await until('alice is notified of dave\'s message', async () => {
      const r = await api(hs1, alice, 'GET', '/_matrix/client/v3/notifications');
      const ids = (r.body.notifications as Array<{ event: { event_id: string; content: { body?: string } } }>).map((n) => n.event);
      return ids.some((e) => e.content.body === 'alice: dave is fine') ? ids : undefined;
    });
    assert.ok(!notified.some((e) => e.event_id === softMessage));
  });

  test('a soft-failed invite of a local user does not reach them, and the ban stands', async () => {
    const body = await sync(frank, frankSince);
    const invites = ((body.rooms as Record<string, unknown> | undefined)?.invite ?? {}) as Record<string, unknown>;
    assert.equal(invites[roomId], undefined);
    assert.equal(await membership(hs1, alice, roomId, frank.userId), undefined);
    assert.equal(await membership(hs1, alice, roomId, bob.userId), 'ban');
  });

  test('a soft-failed kick of a local user changes nothing for them: still joined, no leave, no re-join in /sync', async () => {
    assert.equal(await membership(hs1, alice, roomId, erin.userId), 'join');
    const body = await sync(erin, erinSince);
    const rooms = (body.rooms ?? {}) as Record<string, Record<string, { state?: { events?: Array<{ type: string }> } }>>;
    assert.equal(rooms.leave?.[roomId], undefined, 'the room is not in leave');
    // Presented as a room joined anew, the room would come with its full state (create event and all).
    const state = rooms.join?.[roomId]?.state?.events ?? [];
    assert.ok(!state.some((e) => e.type === 'm.room.create'), JSON.stringify(state.map((e) => e.type)));
    const msgs = await api(hs1, erin, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
    assert.equal(msgs.status, 200);
    assert.ok(!(msgs.body.chunk as Array<{ event_id: string }>).some((e) => e.event_id === softKick));
  });

  test('our next event does not cite the soft-failed events as prev events', async () => {
    const ours = await send(hs1, alice, roomId, 'after the soft failures');
    const fetched = await fedRequest(hs2, hs1, 'GET', `/_matrix/federation/v1/event/${enc(ours)}`);
    assert.equal(fetched.status, 200, JSON.stringify(fetched.body));
    const pdu = (fetched.body.pdus as Array<{ prev_events: unknown[] }>)[0];
    const prevs = (pdu?.prev_events ?? []).map((p) => (Array.isArray(p) ? p[0] : p));
    assert.ok(prevs.length > 0);
    assert.ok(![softMessage, softInvite, softKick].some((id) => prevs.includes(id)), JSON.stringify(prevs));
  });
});
