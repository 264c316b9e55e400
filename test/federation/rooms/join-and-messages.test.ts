import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';
import { createTestCa, type TestCa } from './tls-certs.js';

// Three real servers share rooms: a user of hs1 creates the room, users of hs2 and hs3 join through hs1,
// and messages sent on any server reach the others. Federation runs over TLS listeners with verified
// certificates from a test CA, as it would between real servers.

for (const roomVersion of ['11', '12']) {
  describe(`federated room v${roomVersion}: join by room id and messages every way`, () => {
    let hs: FedServer[];
    let alice: RegisteredUser;
    let bob: RegisteredUser;
    let carol: RegisteredUser;
    let roomId: string;
    let ca: TestCa;

    before(async () => {
      ca = createTestCa();
      hs = await startFederation(['hs1.test', 'hs2.test', 'hs3.test'], {}, { tls: ca });
      const [hs1, hs2, hs3] = hs as [FedServer, FedServer, FedServer];
      alice = await user(hs1, 'alice');
      bob = await user(hs2, 'bob');
      carol = await user(hs3, 'carol');
      const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: roomVersion, name: 'fed' });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      roomId = created.body.room_id as string;
    });
    after(async () => {
      for (const s of hs ?? []) await s.server.close();
      if (ca) rmSync(ca.dir, { recursive: true, force: true });
    });

    test('users on hs2 and hs3 join through hs1 and every server sees every join', async () => {
      const [hs1, hs2, hs3] = hs as [FedServer, FedServer, FedServer];
      const j2 = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?server_name=hs1.test`, {});
      assert.equal(j2.status, 200, JSON.stringify(j2.body));
      assert.equal(j2.body.room_id, roomId);
      const j3 = await api(hs3, carol, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
      assert.equal(j3.status, 200, JSON.stringify(j3.body));
      await until('hs1 sees both joins', async () => (await membership(hs1, alice, roomId, carol.userId)) === 'join' && (await membership(hs1, alice, roomId, bob.userId)) === 'join');
      await until('hs2 sees carol join', async () => (await membership(hs2, bob, roomId, carol.userId)) === 'join');
      assert.equal(await membership(hs3, carol, roomId, bob.userId), 'join');
      assert.equal(await membership(hs3, carol, roomId, alice.userId), 'join');
    });

    test('messages from each server reach the two others', async () => {
      const [hs1, hs2, hs3] = hs as [FedServer, FedServer, FedServer];
      await send(hs1, alice, roomId, 'from alice');
      await send(hs2, bob, roomId, 'from bob');
      await send(hs3, carol, roomId, 'from carol');
      for (const [s, u] of [[hs1, alice], [hs2, bob], [hs3, carol]] as const) {
        await until(`${s.name} sees all three messages`, async () => {
          const seen = await bodies(s, u, roomId);
          return ['from alice', 'from bob', 'from carol'].every((b) => seen.includes(b));
        });
      }
    });

    test('an edit, a reaction and a redaction made on different servers reach every server', async () => {
      const [hs1, hs2, hs3] = hs as [FedServer, FedServer, FedServer];
      const original = await send(hs2, bob, roomId, 'typo here');
      const put = (s: FedServer, u: RegisteredUser, type: string, content: Record<string, unknown>) =>
        api(s, u, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/${type}/x${Date.now()}${Math.random()}`, content);
      const edit = await put(hs2, bob, 'm.room.message', {
        msgtype: 'm.text',
        body: '* fixed',
        'm.new_content': { msgtype: 'm.text', body: 'fixed' },
        'm.relates_to': { rel_type: 'm.replace', event_id: original },
      });
      assert.equal(edit.status, 200, JSON.stringify(edit.body));
      const reaction = await put(hs3, carol, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: original, key: '👍' } });
      assert.equal(reaction.status, 200, JSON.stringify(reaction.body));
      const doomed = await send(hs3, carol, roomId, 'to be redacted');
      await until('hs1 has the message to redact', async () => (await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(doomed)}`)).status === 200);
      const redaction = await api(hs1, alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(doomed)}/r${Date.now()}`, { reason: 'test' });
      assert.equal(redaction.status, 200, JSON.stringify(redaction.body));

      for (const [s, u] of [[hs1, alice], [hs2, bob], [hs3, carol]] as const) {
        await until(`${s.name} shows the edit on the original`, async () => {
          const r = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(original)}`);
          const replaced = (r.body.unsigned as { 'm.relations'?: { 'm.replace'?: { event_id?: string } } } | undefined)?.['m.relations']?.['m.replace'];
          return r.status === 200 && replaced?.event_id === edit.body.event_id;
        });
        await until(`${s.name} lists the reaction`, async () => {
          const r = await api(s, u, 'GET', `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(original)}/m.annotation`);
          return r.status === 200 && (r.body.chunk as Array<{ event_id: string }>).some((e) => e.event_id === reaction.body.event_id);
        });
        await until(`${s.name} applied the redaction`, async () => {
          const r = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(doomed)}`);
          return r.status === 200 && Object.keys(r.body.content as object).length === 0;
        });
      }
    });

    test('a remote user leaves and is then banned; every server agrees', async () => {
      const [hs1, hs2, hs3] = hs as [FedServer, FedServer, FedServer];
      const left = await api(hs3, carol, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {});
      assert.equal(left.status, 200, JSON.stringify(left.body));
      await until('hs1 sees carol leave', async () => (await membership(hs1, alice, roomId, carol.userId)) === 'leave');
      const banned = await api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/ban`, { user_id: carol.userId, reason: 'test' });
      assert.equal(banned.status, 200, JSON.stringify(banned.body));
      await until('hs2 sees the ban', async () => (await membership(hs2, bob, roomId, carol.userId)) === 'ban');
      const again = await api(hs3, carol, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?server_name=hs1.test`, {});
      assert.equal(again.status, 403, JSON.stringify(again.body));
    });
  });
}
