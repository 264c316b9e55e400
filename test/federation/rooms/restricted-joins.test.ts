import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { xMatrixAuthorization } from '../../../src/federation/outbound/index.js';
import { hashAndSignEvent, roomVersion } from '../../../src/protocol/index.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, enc, membership, startFederation, until, user, type FedServer, type Reply } from './harness.js';

// Restricted joins through an authorising server (room v8+ `restricted`, v10+ `knock_restricted`): room R on
// hs1 admits members of space S (also on hs1). hs1 fills in join_authorised_via_users_server at make_join
// and countersigns at send_join; hs3, in R but not in S, answers make_join with M_UNABLE_TO_AUTHORISE_JOIN
// (and, once in S, with M_UNABLE_TO_GRANT_JOIN, as nobody of hs3 may invite), and the joining server moves
// on to the next server in `via`. Users of hs2 in S join; those not in S are refused, also when their
// server forges a send_join naming an authoriser.

async function fed(from: FedServer, to: FedServer, method: 'GET' | 'PUT', uri: string, body?: unknown): Promise<Reply> {
  const header = xMatrixAuthorization({ method, uri, origin: from.name, destination: to.name, ...(body !== undefined ? { content: body } : {}) }, from.key);
  const res = await fetch(`${to.server.baseUrl}${uri}`, {
    method,
    headers: { Authorization: header, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

for (const rule of ['restricted', 'knock_restricted'] as const) {
  describe(`restricted joins across servers (join_rule ${rule})`, () => {
    let hs: FedServer[];
    let alice: RegisteredUser;
    let bob: RegisteredUser;
    let carol: RegisteredUser;
    let frank: RegisteredUser;
    let dave: RegisteredUser;
    let erin: RegisteredUser;
    let space: string;
    let roomId: string;
    const makeJoin = (to: FedServer, u: RegisteredUser) => fed(hs[1] as FedServer, to, 'GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(u.userId)}?ver=12`);

    before(async () => {
      hs = await startFederation(['hs1.test', 'hs2.test', 'hs3.test']);
      const [hs1, hs2, hs3] = hs as [FedServer, FedServer, FedServer];
      alice = await user(hs1, 'alice');
      bob = await user(hs2, 'bob');
      carol = await user(hs2, 'carol');
      frank = await user(hs2, 'frank');
      dave = await user(hs3, 'dave');
      erin = await user(hs3, 'erin');
      const s = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: '12', name: 'S', creation_content: { type: 'm.space' } });
      assert.equal(s.status, 200, JSON.stringify(s.body));
      space = s.body.room_id as string;
      const r = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'private_chat',
        room_version: '12',
        name: 'R',
        power_level_content_override: { invite: 50 },
        initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: rule, allow: [{ type: 'm.room_membership', room_id: space }] } }],
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      roomId = r.body.room_id as string;
      // dave (hs3) is invited into R, so hs3 is resident there without being in S.
      assert.equal((await api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: dave.userId })).status, 200);
      await until('dave sees the invite', async () => {
        const j = await api(hs3, dave, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
        return j.status === 200;
      });
      await until('hs1 sees dave join', async () => (await membership(hs1, alice, roomId, dave.userId)) === 'join');
      assert.equal((await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(space)}?via=hs1.test`, {})).status, 200);
      assert.equal((await api(hs2, frank, 'POST', `/_matrix/client/v3/join/${enc(space)}?via=hs1.test`, {})).status, 200);
      await until('hs1 sees bob and frank in S', async () => (await membership(hs1, alice, space, bob.userId)) === 'join' && (await membership(hs1, alice, space, frank.userId)) === 'join');
    });
    after(async () => {
      for (const s of hs ?? []) await s.server.close();
    });

    test('a resident server in none of the allowed rooms answers make_join with M_UNABLE_TO_AUTHORISE_JOIN', async () => {
      const r = await makeJoin(hs[2] as FedServer, bob);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.errcode, 'M_UNABLE_TO_AUTHORISE_JOIN');
    });

    test('hs1 names an authorising user in the make_join template', async () => {
      const r = await makeJoin(hs[0] as FedServer, bob);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const content = (r.body.event as { content: Record<string, unknown> }).content;
      assert.equal(content.join_authorised_via_users_server, alice.userId);
    });

    test('bob (in S) joins R through via=hs3,hs1: hs3 cannot authorise, hs1 countersigns, every server accepts', async () => {
      const [hs1, hs2, hs3] = hs as [FedServer, FedServer, FedServer];
      const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs3.test&via=hs1.test`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      await until('hs1 sees bob join', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
      await until('hs3 accepts the countersigned join', async () => (await membership(hs3, dave, roomId, bob.userId)) === 'join');
      const own = await api(hs2, bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId)}`);
      assert.equal(own.body.join_authorised_via_users_server, alice.userId);
      const ids = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`);
      const joinId = (ids.body as unknown as Array<{ type: string; state_key: string; event_id: string }>).find((e) => e.type === 'm.room.member' && e.state_key === bob.userId)?.event_id;
      assert.ok(joinId);
      const pdu = await fed(hs3, hs1, 'GET', `/_matrix/federation/v1/event/${enc(joinId)}`);
      const signatures = ((pdu.body.pdus as Array<{ signatures: Record<string, unknown> }>)[0] as { signatures: Record<string, unknown> }).signatures;
      assert.deepEqual(Object.keys(signatures).sort(), ['hs1.test', 'hs2.test']);
    });

    test('carol (not in S) is refused with M_FORBIDDEN and nothing is stored', async () => {
      const [hs1, hs2] = hs as [FedServer, FedServer, FedServer];
      const r = await api(hs2, carol, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.errcode, 'M_FORBIDDEN');
      assert.equal(await membership(hs1, alice, roomId, carol.userId), undefined);
    });

    test('a send_join for a user not in S that names an authoriser is not countersigned', async () => {
      const [hs1, hs2] = hs as [FedServer, FedServer, FedServer];
      // A template legitimately made for frank, turned into a join of carol by hs2.
      const made = await makeJoin(hs1, frank);
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const template = made.body.event as Record<string, unknown>;
      const forged: Record<string, unknown> = { ...template, sender: carol.userId, state_key: carol.userId, origin_server_ts: Date.now() };
      delete forged.origin;
      const { pdu, eventId } = hashAndSignEvent(roomVersion('12'), forged, 'hs2.test', hs2.key);
      const r = await fed(hs2, hs1, 'PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(eventId)}`, pdu);
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(await membership(hs1, alice, roomId, carol.userId), undefined);
    });

    test('once in S but with nobody who may invite, hs3 answers M_UNABLE_TO_GRANT_JOIN', async () => {
      const [hs1, , hs3] = hs as [FedServer, FedServer, FedServer];
      assert.equal((await api(hs3, erin, 'POST', `/_matrix/client/v3/join/${enc(space)}?via=hs1.test`, {})).status, 200);
      await until('hs3 holds frank in S', async () => (await membership(hs3, erin, space, frank.userId)) === 'join');
      const r = await makeJoin(hs3, frank);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.errcode, 'M_UNABLE_TO_GRANT_JOIN');
      // frank still gets in through hs1.
      const joined = await api(hs[1] as FedServer, frank, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs3.test&via=hs1.test`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      await until('hs1 sees frank join', async () => (await membership(hs1, alice, roomId, frank.userId)) === 'join');
    });
  });
}
