import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisteredUser } from '../../helpers/users.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { api, bodies, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';

// Reaching a room of another server from our client API: joining by that server's alias (resolved through
// the federation directory query, joined through the servers it lists), and knocking (make_knock /
// send_knock): the knock shows in the knocker's /sync `knock` section with the room's knock_state, the
// room's admin sees it and lets the knocker in by inviting, and the knocker joins.

interface KnockSection {
  knock_state: { events: Array<{ type: string; state_key: string; content: Record<string, unknown> }> };
}

async function syncRooms(s: FedServer, u: RegisteredUser): Promise<{ knock: Record<string, KnockSection>; invite: Record<string, unknown>; join: Record<string, unknown> }> {
  const r = await api(s, u, 'GET', '/_matrix/client/v3/sync?timeout=0');
  const rooms = (r.body.rooms ?? {}) as Record<string, Record<string, unknown> | undefined>;
  return {
    knock: (rooms.knock ?? {}) as Record<string, KnockSection>,
    invite: rooms.invite ?? {},
    join: rooms.join ?? {},
  };
}

describe('joining by a remote alias and knocking on a remote room', () => {
  let hs1: FedServer;
  let hs2: FedServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;

  before(async () => {
    [hs1, hs2] = (await startFederation(['hs1.test', 'hs2.test'])) as [FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    carol = await user(hs2, 'carol');
  });
  after(async () => {
    await hs2?.server.close();
    await hs1?.server.close();
  });

  test('/join/#alias:hs1 from hs2 resolves the alias over federation and joins through hs1', async () => {
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_alias_name: 'town', room_version: '12' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const roomId = created.body.room_id as string;
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc('#town:hs1.test')}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.equal(joined.body.room_id, roomId);
    await until('hs1 sees bob join', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
    await send(hs1, alice, roomId, 'hello town');
    await until('bob receives messages', async () => (await bodies(hs2, bob, roomId)).includes('hello town'));

    const unknown = await api(hs2, carol, 'POST', `/_matrix/client/v3/join/${enc('#nowhere:hs1.test')}`, {});
    assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
    assert.equal(unknown.body.errcode, 'M_NOT_FOUND');
  });

  for (const target of ['room id', 'alias'] as const) {
    test(`a knock on a remote room by ${target} shows in /sync; the admin invites the knocker, who joins`, async () => {
      const localpart = target === 'room id' ? 'door1' : 'door2';
      const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'private_chat',
        room_version: '12',
        name: `knock here ${localpart}`,
        room_alias_name: localpart,
        initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const roomId = created.body.room_id as string;
      const knocker = target === 'room id' ? carol : bob;
      const path = target === 'room id' ? `${enc(roomId)}?via=hs1.test` : enc(`#${localpart}:hs1.test`);

      const knocked = await api(hs2, knocker, 'POST', `/_matrix/client/v3/knock/${path}`, { reason: 'let me in' });
      assert.equal(knocked.status, 200, JSON.stringify(knocked.body));
      assertMatchesSpec('client-server', 'post', '/_matrix/client/v3/knock/{roomIdOrAlias}', 200, knocked.body);
      assert.equal(knocked.body.room_id, roomId);

      // hs1 holds the knock in the room; the knocker's server shows it under rooms.knock with the room's state.
      await until('hs1 sees the knock', async () => (await membership(hs1, alice, roomId, knocker.userId)) === 'knock');
      const knocks = await until('the knocker sees the knock', async () => (await syncRooms(hs2, knocker)).knock[roomId]);
      const events = knocks.knock_state.events;
      assert.ok(events.some((e) => e.type === 'm.room.name' && e.content.name === `knock here ${localpart}`), JSON.stringify(events));
      assert.ok(events.some((e) => e.type === 'm.room.join_rules' && e.content.join_rule === 'knock'), JSON.stringify(events));
      assert.ok(events.some((e) => e.type === 'm.room.member' && e.state_key === knocker.userId && e.content.membership === 'knock'));

      const invited = await api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: knocker.userId });
      assert.equal(invited.status, 200, JSON.stringify(invited.body));
      await until('the knock turns into an invite', async () => {
        const s = await syncRooms(hs2, knocker);
        return s.invite[roomId] !== undefined && s.knock[roomId] === undefined;
      });
      const joined = await api(hs2, knocker, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      await until('hs1 sees the knocker join', async () => (await membership(hs1, alice, roomId, knocker.userId)) === 'join');
    });
  }

  test('a remote knock is retracted by leaving (make_leave / send_leave through the resident server)', async () => {
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', {
      preset: 'private_chat',
      room_version: '11',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    const roomId = created.body.room_id as string;
    const knocked = await api(hs2, carol, 'POST', `/_matrix/client/v3/knock/${enc(roomId)}`, {});
    assert.equal(knocked.status, 200, JSON.stringify(knocked.body));
    await until('hs1 sees the knock', async () => (await membership(hs1, alice, roomId, carol.userId)) === 'knock');
    const left = await api(hs2, carol, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {});
    assert.equal(left.status, 200, JSON.stringify(left.body));
    await until('hs1 sees the retraction', async () => (await membership(hs1, alice, roomId, carol.userId)) === 'leave');
    await until('the knock leaves carol\'s /sync', async () => (await syncRooms(hs2, carol)).knock[roomId] === undefined);
  });

  test('a knock on a remote room that does not allow knocking is refused by the resident server', async () => {
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat', room_version: '12' });
    const roomId = created.body.room_id as string;
    const r = await api(hs2, carol, 'POST', `/_matrix/client/v3/knock/${enc(roomId)}?via=hs1.test`, {});
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.body.errcode, 'M_FORBIDDEN');
    assert.equal((await syncRooms(hs2, carol)).knock[roomId], undefined);
  });
});
