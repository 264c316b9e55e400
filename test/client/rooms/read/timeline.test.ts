import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertMatchesSpec } from '../../../helpers/spec-schemas.js';
import { bodies, enc, startReadTestServer, type Json, type ReadTestServer, type TestUser } from './helpers.js';

// /messages, /context, /event and timestamp_to_event through the real server.

const MESSAGES = '/_matrix/client/v3/rooms/{roomId}/messages';

describe('room timeline reads', () => {
  let s: ReadTestServer;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;
  const ids: string[] = [];

  before(async () => {
    s = await startReadTestServer();
    alice = await s.user('alice');
    bob = await s.user('bob');
    roomId = await s.createRoom(alice, { preset: 'private_chat', name: 'Timeline' });
    for (let i = 1; i <= 12; i++) ids.push(await s.send(alice, roomId, `m${i}`));
  });
  after(() => s.close());

  const messages = (as: TestUser, query: string) => s.call(as, 'GET', `/v3/rooms/${enc(roomId)}/messages?${query}`);

  test('backwards from the end pages newest first until the start, then omits end', async () => {
    const seen: string[] = [];
    let from: string | undefined;
    let pages = 0;
    for (;;) {
      const res = await messages(alice, `dir=b&limit=5${from ? `&from=${enc(from)}` : ''}`);
      assert.equal(res.status, 200);
      assertMatchesSpec('client-server', 'get', MESSAGES, 200, res.body);
      seen.push(...bodies(res.body.chunk));
      pages++;
      if (res.body.end === undefined) break;
      from = res.body.end as string;
      assert.ok(pages < 20, 'pagination does not terminate');
    }
    assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => `m${12 - i}`));
    // The room's creation events come last going backwards.
    const last = await messages(alice, 'dir=b&limit=1000');
    const chunk = last.body.chunk as Json[];
    assert.equal(chunk.at(-1)?.type, 'm.room.create');
    assert.equal(last.body.end, undefined);
  });

  test('forwards from the start returns oldest first and keeps an end to continue from', async () => {
    const res = await messages(alice, 'dir=f&limit=3');
    assert.equal(res.status, 200);
    assertMatchesSpec('client-server', 'get', MESSAGES, 200, res.body);
    const chunk = res.body.chunk as Json[];
    assert.equal(chunk[0]?.type, 'm.room.create');
    assert.equal(chunk.length, 3);
    const next = await messages(alice, `dir=f&limit=1000&from=${enc(res.body.end as string)}`);
    const all = [...chunk, ...(next.body.chunk as Json[])];
    assert.deepEqual(bodies(all), Array.from({ length: 12 }, (_, i) => `m${i + 1}`));
    // Paging on from the live end finds nothing and says so by leaving end out.
    const beyond = await messages(alice, `dir=f&from=${enc(next.body.end as string)}`);
    assert.deepEqual(beyond.body.chunk, []);
    assert.equal(beyond.body.end, undefined);
  });

  test('from/to bound a range and a sync-style token is accepted', async () => {
    const page = await messages(alice, 'dir=b&limit=2');
    const end = page.body.end as string;
    const rest = await messages(alice, `dir=b&limit=100&from=${enc(`${end}_0_0_0`)}&to=${enc(end.replace(/\d+$/, (n) => String(Number(n) - 3)))}`);
    assert.deepEqual(bodies(rest.body.chunk), ['m10', 'm9', 'm8']);
    assert.equal((await messages(alice, 'dir=b&from=bogus')).body.errcode, 'M_INVALID_PARAM');
    assert.equal((await messages(alice, 'dir=x')).status, 400);
    assert.equal((await messages(alice, 'dir=b&filter=%7Bnot%20json')).body.errcode, 'M_BAD_JSON');
  });

  test('the sender sees transaction_id on their events; others do not', async () => {
    const mine = await messages(alice, 'dir=b&limit=1');
    const ev = (mine.body.chunk as Json[])[0];
    assert.match(String((ev?.unsigned as Json).transaction_id), /^t\d+$/);
    assert.equal(typeof (ev?.unsigned as Json).age, 'number');
  });

  test('filters: types, not_senders and lazy-loaded members in state', async () => {
    const filter = enc(JSON.stringify({ types: ['m.room.message'], lazy_load_members: true }));
    const res = await messages(alice, `dir=b&limit=3&filter=${filter}`);
    assert.equal(res.status, 200);
    assertMatchesSpec('client-server', 'get', MESSAGES, 200, res.body);
    assert.deepEqual(bodies(res.body.chunk), ['m12', 'm11', 'm10']);
    const state = res.body.state as Json[];
    assert.deepEqual(state.map((e) => [e.type, e.state_key]), [['m.room.member', alice.userId]]);
    const none = await messages(alice, `dir=b&filter=${enc(JSON.stringify({ not_senders: [alice.userId] }))}`);
    assert.deepEqual(none.body.chunk, []);
  });

  test('a user who is not in a private room is refused', async () => {
    const res = await messages(bob, 'dir=b');
    assert.equal(res.status, 403);
    assert.equal(res.body.errcode, 'M_FORBIDDEN');
    assert.equal((await s.call(null, 'GET', `/v3/rooms/${enc(roomId)}/messages?dir=b`)).body.errcode, 'M_MISSING_TOKEN');
  });

  test('/context returns the event with its neighbours, state and usable tokens', async () => {
    const target = ids[5] as string; // m6
    const res = await s.call(alice, 'GET', `/v3/rooms/${enc(roomId)}/context/${enc(target)}?limit=4`);
    assert.equal(res.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/rooms/{roomId}/context/{eventId}', 200, res.body);
    assert.equal((res.body.event as Json).event_id, target);
    assert.deepEqual(bodies(res.body.events_before), ['m5', 'm4']);
    assert.deepEqual(bodies(res.body.events_after), ['m7', 'm8']);
    const stateTypes = (res.body.state as Json[]).map((e) => e.type);
    assert.ok(stateTypes.includes('m.room.create') && stateTypes.includes('m.room.name'));
    const back = await messages(alice, `dir=b&limit=2&from=${enc(res.body.start as string)}`);
    assert.deepEqual(bodies(back.body.chunk), ['m3', 'm2']);
    const fwd = await messages(alice, `dir=f&limit=2&from=${enc(res.body.end as string)}`);
    assert.deepEqual(bodies(fwd.body.chunk), ['m9', 'm10']);

    const missing = await s.call(alice, 'GET', `/v3/rooms/${enc(roomId)}/context/${enc('$nope')}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errcode, 'M_NOT_FOUND');
  });

  test('/event returns one event; unknown ids are 404 and outsiders 403', async () => {
    const target = ids[0] as string;
    const res = await s.call(alice, 'GET', `/v3/rooms/${enc(roomId)}/event/${enc(target)}`);
    assert.equal(res.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/rooms/{roomId}/event/{eventId}', 200, res.body);
    assert.equal((res.body.content as Json).body, 'm1');
    assert.equal(res.body.room_id, roomId);
    const missing = await s.call(alice, 'GET', `/v3/rooms/${enc(roomId)}/event/${enc('$missing')}`);
    assert.equal(missing.status, 404);
    const outsider = await s.call(bob, 'GET', `/v3/rooms/${enc(roomId)}/event/${enc(target)}`);
    assert.equal(outsider.status, 403);
  });

  test('timestamp_to_event finds the nearest event in each direction', async () => {
    const ev = await s.ok(alice, 'GET', `/v3/rooms/${enc(roomId)}/event/${enc(ids[3] as string)}`);
    const ts = ev.origin_server_ts as number;
    const f = await s.call(alice, 'GET', `/v1/rooms/${enc(roomId)}/timestamp_to_event?ts=${ts}&dir=f`);
    assert.equal(f.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v1/rooms/{roomId}/timestamp_to_event', 200, f.body);
    assert.ok((f.body.origin_server_ts as number) >= ts);
    const b = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/timestamp_to_event?ts=${ts}&dir=b`);
    assert.ok((b.origin_server_ts as number) <= ts);
    const none = await s.call(alice, 'GET', `/v1/rooms/${enc(roomId)}/timestamp_to_event?ts=${Date.now() + 3_600_000}&dir=f`);
    assert.equal(none.status, 404);
    assert.equal(none.body.errcode, 'M_NOT_FOUND');
    assert.equal((await s.call(alice, 'GET', `/v1/rooms/${enc(roomId)}/timestamp_to_event?dir=f`)).body.errcode, 'M_MISSING_PARAM');
  });
});
