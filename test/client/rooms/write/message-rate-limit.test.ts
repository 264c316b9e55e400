import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { call, registerGhost, startAsServer, type AsServer } from '../../../appservice/as-harness.js';
import { registerUser, type RegisteredUser } from '../../../helpers/users.js';

// rc_message applied to event sends (send, state, redact) per user: 429 M_LIMIT_EXCEEDED with retry_after_ms
// once the burst is spent; application services registered with rate_limited: false are exempt for every user
// they act as, and a service's sender user is never limited.

const C = '/_matrix/client/v3';
const LOW = { message: { perSecond: 0.001, burstCount: 3 } };

async function sendN(baseUrl: string, token: string, path: (i: number) => string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await call(baseUrl, 'PUT', path(i), token, { msgtype: 'm.text', body: `m${i}` })).status);
  return statuses;
}

describe('message rate limiting (rc_message)', () => {
  let exempt: AsServer;
  let limited: AsServer;
  let alice: RegisteredUser;
  let roomId: string;
  let limitedRoom: string;

  before(async () => {
    exempt = await startAsServer({ id: 'exempt', rate_limited: false }, { rateLimits: LOW });
    limited = await startAsServer({ id: 'limited' }, { rateLimits: LOW });
    alice = await registerUser(exempt.server.baseUrl, exempt.server.config, 'alice');
    const created = await call(exempt.server.baseUrl, 'POST', `${C}/createRoom`, alice.accessToken, { preset: 'public_chat' });
    roomId = created.body.room_id as string;
    const own = await limited.asCall('POST', `${C}/createRoom`, { preset: 'public_chat' });
    limitedRoom = own.body.room_id as string;
  });

  after(async () => {
    await exempt.close();
    await limited.close();
  });

  it('a user past the burst gets 429 M_LIMIT_EXCEEDED with retry_after_ms, on send, state and redact', async () => {
    const room = encodeURIComponent(roomId);
    const statuses = await sendN(exempt.server.baseUrl, alice.accessToken, (i) => `${C}/rooms/${room}/send/m.room.message/a${i}`, 3);
    assert.deepEqual(statuses, [200, 200, 200]);
    const send = await call(exempt.server.baseUrl, 'PUT', `${C}/rooms/${room}/send/m.room.message/a4`, alice.accessToken, { msgtype: 'm.text', body: 'x' });
    assert.equal(send.status, 429);
    assert.equal(send.body.errcode, 'M_LIMIT_EXCEEDED');
    assert.ok(typeof send.body.retry_after_ms === 'number' && send.body.retry_after_ms > 0);
    const state = await call(exempt.server.baseUrl, 'PUT', `${C}/rooms/${room}/state/m.room.topic`, alice.accessToken, { topic: 't' });
    assert.equal(state.status, 429);
    const redact = await call(exempt.server.baseUrl, 'PUT', `${C}/rooms/${room}/redact/${encodeURIComponent('$x')}/r1`, alice.accessToken, {});
    assert.equal(redact.status, 429);
  });

  it('a retried transaction id and an identical state event cost nothing: they return the existing event', async () => {
    const room = encodeURIComponent(roomId);
    // Alice's burst is spent by the test above; a retry of an accepted send still gets its event id.
    const retry = await call(exempt.server.baseUrl, 'PUT', `${C}/rooms/${room}/send/m.room.message/a0`, alice.accessToken, { msgtype: 'm.text', body: 'm0' });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.match(String(retry.body.event_id), /^\$/);
    const bob = await registerUser(exempt.server.baseUrl, exempt.server.config, 'bob');
    const own = await call(exempt.server.baseUrl, 'POST', `${C}/createRoom`, bob.accessToken, { preset: 'public_chat' });
    const bobRoom = encodeURIComponent(own.body.room_id as string);
    const first = await call(exempt.server.baseUrl, 'PUT', `${C}/rooms/${bobRoom}/state/m.room.topic`, bob.accessToken, { topic: 'same' });
    assert.equal(first.status, 200);
    for (let i = 0; i < 5; i++) {
      const again = await call(exempt.server.baseUrl, 'PUT', `${C}/rooms/${bobRoom}/state/m.room.topic`, bob.accessToken, { topic: 'same' });
      assert.equal(again.status, 200);
      assert.equal(again.body.event_id, first.body.event_id);
    }
  });

  it('an application service with rate_limited: false is not limited, for its sender nor its masqueraded users', async () => {
    const ghost = await registerGhost(exempt, '_br_fast');
    const room = encodeURIComponent(roomId);
    assert.equal((await exempt.asCall('POST', `${C}/rooms/${room}/join?user_id=${encodeURIComponent(ghost)}`, {})).status, 200);
    const asGhost = await sendN(exempt.server.baseUrl, exempt.asToken, (i) => `${C}/rooms/${room}/send/m.room.message/g${i}?user_id=${encodeURIComponent(ghost)}`, 8);
    assert.deepEqual(asGhost, Array(8).fill(200));
    assert.equal((await exempt.asCall('POST', `${C}/rooms/${room}/join`, {})).status, 200);
    const asSender = await sendN(exempt.server.baseUrl, exempt.asToken, (i) => `${C}/rooms/${room}/send/m.room.message/s${i}`, 8);
    assert.deepEqual(asSender, Array(8).fill(200));
  });

  it("a rate-limited application service's users are limited; its sender user is not", async () => {
    const ghost = await registerGhost(limited, '_br_slow');
    const room = encodeURIComponent(limitedRoom);
    assert.equal((await limited.asCall('POST', `${C}/rooms/${room}/join?user_id=${encodeURIComponent(ghost)}`, {})).status, 200);
    const asGhost = await sendN(limited.server.baseUrl, limited.asToken, (i) => `${C}/rooms/${room}/send/m.room.message/g${i}?user_id=${encodeURIComponent(ghost)}`, 5);
    assert.deepEqual(asGhost, [200, 200, 200, 429, 429]);
    const asSender = await sendN(limited.server.baseUrl, limited.asToken, (i) => `${C}/rooms/${room}/send/m.room.message/s${i}`, 6);
    assert.deepEqual(asSender, Array(6).fill(200));
  });
});
