import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSigningKey } from '../../../src/crypto/index.js';
import { addEventSignature, roomVersion } from '../../../src/protocol/index.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { keyDocument, sendJson, startFakeServer, type FakeServer } from '../helpers.js';
import { api, enc, membership, startFederation, until, user, type FedServer } from './harness.js';

// Invites across servers, the checks on both ends: the inviting server refuses an /invite answer whose
// countersignature by the invitee's server is missing or forged (the invite never enters the room), and a
// server whose user blocks invites (m.invite_permission_config) answers /invite with 403 M_INVITE_BLOCKED,
// which reaches the inviting client (createRoom with such an invitee still creates the room).

type Mode = 'unsigned' | 'forged' | 'signed';

describe('federated invites: countersignature and invite blocking', () => {
  let hs1: FedServer;
  let hs2: FedServer;
  let fake: FakeServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  let mode: Mode = 'unsigned';
  const fakeKey = generateSigningKey('f1');
  const otherKey = generateSigningKey('f1');
  const version = roomVersion('12');

  before(async () => {
    const overrides: Record<string, string> = {};
    fake = await startFakeServer('fake.test', {}, (req, res) => {
      if (req.url.startsWith('/_matrix/key/v2/server')) {
        sendJson(res, 200, keyDocument('fake.test', [fakeKey], Date.now() + 3_600_000));
        return;
      }
      if (req.method === 'PUT' && req.url.startsWith('/_matrix/federation/v2/invite/')) {
        const { event } = req.body as { event: Record<string, unknown> };
        if (mode === 'unsigned') return sendJson(res, 200, { event });
        // A forged countersignature: made with a key that is not the one fake.test publishes under that id.
        const signed = addEventSignature(version, event, 'fake.test', mode === 'signed' ? fakeKey : otherKey);
        return sendJson(res, 200, { event: signed });
      }
      sendJson(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'not here' });
    });
    overrides['fake.test'] = `127.0.0.1:${fake.port}`;
    [hs1, hs2] = (await startFederation(['hs1.test', 'hs2.test'], overrides)) as [FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat', room_version: '12' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    roomId = created.body.room_id as string;
  });
  after(async () => {
    await hs2?.server.close();
    await hs1?.server.close();
    await fake?.close();
  });

  const invite = (userId: string) => api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: userId });

  test('an /invite answer without the invitee server\'s signature is refused and the invite is not stored', async () => {
    mode = 'unsigned';
    const r = await invite('@mallory:fake.test');
    assert.equal(r.status, 502, JSON.stringify(r.body));
    assert.match(String(r.body.error), /fake\.test did not validly sign/);
    assert.equal(await membership(hs1, alice, roomId, '@mallory:fake.test'), undefined);
  });

  test('an /invite answer with a forged countersignature is refused', async () => {
    mode = 'forged';
    const r = await invite('@mallory:fake.test');
    assert.equal(r.status, 502, JSON.stringify(r.body));
    assert.match(String(r.body.error), /invalid signature from fake\.test/);
    assert.equal(await membership(hs1, alice, roomId, '@mallory:fake.test'), undefined);
  });

  test('a validly countersigned invite is stored', async () => {
    mode = 'signed';
    const r = await invite('@mallory:fake.test');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(await membership(hs1, alice, roomId, '@mallory:fake.test'), 'invite');
  });

  test('a user who blocks invites is not invited across servers: 403 M_INVITE_BLOCKED', async () => {
    const put = (content: Record<string, unknown>) =>
      api(hs2, bob, 'PUT', `/_matrix/client/v3/user/${enc(bob.userId)}/account_data/m.invite_permission_config`, content);
    assert.equal((await put({ default_action: 'block' })).status, 200);
    const blocked = await invite(bob.userId);
    assert.equal(blocked.status, 403, JSON.stringify(blocked.body));
    assert.equal(blocked.body.errcode, 'M_INVITE_BLOCKED');
    assert.equal(await membership(hs1, alice, roomId, bob.userId), undefined);

    // createRoom with bob in `invite` still creates the room, without him (spec "Invite permission").
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat', invite: [bob.userId] });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(await membership(hs1, alice, created.body.room_id as string, bob.userId), undefined);

    // Unblocking lets the same invite through, and bob sees it.
    assert.equal((await put({})).status, 200);
    const allowed = await invite(bob.userId);
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    assert.equal(await membership(hs1, alice, roomId, bob.userId), 'invite');
    await until('bob sees the invite', async () => {
      const s = await api(hs2, bob, 'GET', '/_matrix/client/v3/sync?timeout=0');
      return ((s.body.rooms as { invite?: Record<string, unknown> } | undefined)?.invite ?? {})[roomId] !== undefined;
    });
  });
});

describe('createRoom inviting a user of another server', () => {
  test('the invite goes out over federation once the room exists, is_direct included', async () => {
    const [hs1, hs2] = (await startFederation(['hs1.test', 'hs2.test'])) as [FedServer, FedServer];
    try {
      const alice = await user(hs1, 'alice');
      const bob = await user(hs2, 'bob');
      const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'trusted_private_chat', is_direct: true, invite: [bob.userId] });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const roomId = created.body.room_id as string;
      assert.equal(await membership(hs1, alice, roomId, bob.userId), 'invite');
      const invite = await until('bob sees the direct invite', async () => {
        const s = await api(hs2, bob, 'GET', '/_matrix/client/v3/sync?timeout=0');
        const room = ((s.body.rooms as { invite?: Record<string, { invite_state: { events: Array<{ type: string; state_key: string; content: Record<string, unknown> }> } }> } | undefined)?.invite ?? {})[roomId];
        return room?.invite_state.events.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId);
      });
      assert.equal(invite.content.is_direct, true);
    } finally {
      await hs2.server.close();
      await hs1.server.close();
    }
  });
});
