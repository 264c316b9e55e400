import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';

// Invites across servers: hs1 invites users of hs2 and hs3 (their servers countersign); the hs2 user sees
// the invite in /sync with the room's stripped state and joins through the inviter's server; the hs3 user
// rejects the invite through hs1 (make_leave / send_leave), and hs1 sees the rejection.

async function syncInvites(s: FedServer, u: RegisteredUser): Promise<Record<string, { invite_state: { events: Array<{ type: string; state_key: string; content: Record<string, unknown> }> } }>> {
  const r = await api(s, u, 'GET', '/_matrix/client/v3/sync?timeout=0');
  return ((r.body.rooms as { invite?: unknown } | undefined)?.invite ?? {}) as Awaited<ReturnType<typeof syncInvites>>;
}

for (const roomVersion of ['11', '12']) {
  describe(`federated invites, room v${roomVersion}`, () => {
    let hs: FedServer[];
    let alice: RegisteredUser;
    let bob: RegisteredUser;
    let carol: RegisteredUser;
    let roomId: string;

    before(async () => {
      hs = await startFederation(['hs1.test', 'hs2.test', 'hs3.test']);
      const [hs1, hs2, hs3] = hs as [FedServer, FedServer, FedServer];
      alice = await user(hs1, 'alice');
      bob = await user(hs2, 'bob');
      carol = await user(hs3, 'carol');
      const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat', room_version: roomVersion, name: 'secret' });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      roomId = created.body.room_id as string;
    });
    after(async () => {
      for (const s of hs ?? []) await s.server.close();
    });

    test('a remote invite is countersigned, shows in the invitee\'s /sync, and the invitee joins', async () => {
      const [hs1, hs2] = hs as [FedServer, FedServer, FedServer];
      const invited = await api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId });
      assert.equal(invited.status, 200, JSON.stringify(invited.body));
      assert.equal(await membership(hs1, alice, roomId, bob.userId), 'invite');
      const invites = await until('bob sees the invite', async () => (await syncInvites(hs2, bob))[roomId]);
      const types = invites.invite_state.events.map((e) => e.type);
      assert.ok(types.includes('m.room.create'), JSON.stringify(types));
      assert.ok(invites.invite_state.events.some((e) => e.type === 'm.room.name' && e.content.name === 'secret'));
      assert.ok(invites.invite_state.events.some((e) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'invite'));
      const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      await until('hs1 sees bob join', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
      await send(hs1, alice, roomId, 'welcome bob');
      await until('bob receives messages', async () => (await bodies(hs2, bob, roomId)).includes('welcome bob'));
    });

    test('a remote invite is rejected through the inviting server', async () => {
      const [hs1, hs2, hs3] = hs as [FedServer, FedServer, FedServer];
      const invited = await api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: carol.userId });
      assert.equal(invited.status, 200, JSON.stringify(invited.body));
      await until('carol sees the invite', async () => (await syncInvites(hs3, carol))[roomId]);
      const rejected = await api(hs3, carol, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {});
      assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
      await until('hs1 sees the rejection', async () => (await membership(hs1, alice, roomId, carol.userId)) === 'leave');
      await until('hs2 sees the rejection', async () => (await membership(hs2, bob, roomId, carol.userId)) === 'leave');
      assert.equal((await syncInvites(hs3, carol))[roomId], undefined);
    });
  });
}
