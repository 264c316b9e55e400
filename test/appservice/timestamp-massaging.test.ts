import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { assertMatchesSpec } from '../helpers/spec-schemas.js';
import { registerUser, type RegisteredUser } from '../helpers/users.js';
import { call, registerGhost, startAsServer, type AsServer } from './as-harness.js';

// Timestamp massaging (AS API "Timestamp massaging"): `?ts=` on /send and /state sets origin_server_ts for an
// application service; an ordinary user's ts is ignored (as Synapse does) and a value that is not a timestamp is 400.

const C = '/_matrix/client/v3';
const TS = 1_500_000_000_123;

describe('application service timestamp massaging', () => {
  let as: AsServer;
  let ghost: string;
  let alice: RegisteredUser;
  let roomId: string;
  const asGhost = (path: string) => `${path}${path.includes('?') ? '&' : '?'}user_id=${encodeURIComponent(ghost)}`;

  before(async () => {
    as = await startAsServer({});
    ghost = await registerGhost(as, '_br_ts');
    alice = await registerUser(as.server.baseUrl, as.server.config, 'alice');
    const created = await call(as.server.baseUrl, 'POST', `${C}/createRoom`, alice.accessToken, { preset: 'public_chat' });
    roomId = created.body.room_id as string;
    const joined = await as.asCall('POST', asGhost(`${C}/rooms/${encodeURIComponent(roomId)}/join`), {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
  });

  after(() => as.close());

  it('a message sent with ?ts= carries that origin_server_ts in /event and /sync', async () => {
    const sent = await as.asCall('PUT', asGhost(`${C}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1?ts=${TS}`), { msgtype: 'm.text', body: 'from the past' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const eventId = sent.body.event_id as string;
    const ev = await call(as.server.baseUrl, 'GET', `${C}/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`, alice.accessToken);
    assert.equal(ev.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/rooms/{roomId}/event/{eventId}', 200, ev.body);
    assert.equal(ev.body.origin_server_ts, TS);
    const sync = await call(as.server.baseUrl, 'GET', `${C}/sync`, alice.accessToken);
    const timeline = ((sync.body.rooms as any).join[roomId].timeline.events as Array<Record<string, unknown>>).find((e) => e.event_id === eventId);
    assert.equal(timeline?.origin_server_ts, TS);
  });

  it('a state event sent with ?ts= carries that origin_server_ts', async () => {
    const sent = await as.asCall('PUT', asGhost(`${C}/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(ghost)}?ts=${TS + 1}`), {
      membership: 'join',
      displayname: 'Old Ghost',
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const ev = await call(as.server.baseUrl, 'GET', `${C}/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(sent.body.event_id as string)}`, alice.accessToken);
    assert.equal(ev.body.origin_server_ts, TS + 1);
  });

  it("an ordinary user's ts is ignored: the server's clock is used", async () => {
    const before = Date.now();
    const sent = await call(as.server.baseUrl, 'PUT', `${C}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/u1?ts=${TS}`, alice.accessToken, { msgtype: 'm.text', body: 'now' });
    assert.equal(sent.status, 200);
    const ev = await call(as.server.baseUrl, 'GET', `${C}/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(sent.body.event_id as string)}`, alice.accessToken);
    assert.ok((ev.body.origin_server_ts as number) >= before, 'the clock, not the given ts');
  });

  it('a ts that is not a timestamp is refused with M_INVALID_PARAM', async () => {
    for (const bad of ['abc', '-5', '1.5', '99999999999999999999']) {
      const r = await as.asCall('PUT', asGhost(`${C}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/bad-${bad}?ts=${bad}`), { msgtype: 'm.text', body: 'x' });
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.errcode, 'M_INVALID_PARAM');
    }
  });
});
