import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { assertMatchesSpec } from '../helpers/spec-schemas.js';
import { registerUser, type RegisteredUser } from '../helpers/users.js';
import { call, startAsServer, type AsServer } from './as-harness.js';
import { startFakeAppservice, type FakeAppservice } from './fake-appservice.js';

// Application service room lists (AS API "Published room directories"): PUT /directory/list/appservice/
// {networkId}/{roomId} by the service, /thirdparty/protocols instances naming the network, and POST
// /publicRooms reading one network (third_party_instance_id), the server's own list (default) or all of them
// (include_all_networks).

const C = '/_matrix/client/v3';
const HS_TOKEN = 'hs-token-network-room-list';

describe('application service network room lists', () => {
  let fake: FakeAppservice;
  let as: AsServer;
  let alice: RegisteredUser;
  let bridged: string;
  let local: string;

  const publicRooms = async (body: Record<string, unknown>) => {
    const r = await call(as.server.baseUrl, 'POST', `${C}/publicRooms`, alice.accessToken, body);
    if (r.status === 200) assertMatchesSpec('client-server', 'post', '/_matrix/client/v3/publicRooms', 200, r.body);
    return r;
  };
  const ids = (r: { body: Record<string, unknown> }) => (r.body.chunk as Array<{ room_id: string }>).map((c) => c.room_id).sort();

  before(async () => {
    fake = await startFakeAppservice(HS_TOKEN);
    fake.protocols.gitter = {
      user_fields: ['username'],
      location_fields: ['room'],
      icon: 'mxc://example.org/gitter',
      field_types: { username: { regexp: '.+', placeholder: 'user' }, room: { regexp: '.+', placeholder: 'room' } },
      instances: [{ desc: 'Gitter', network_id: 'gitter-net', fields: {} }],
    };
    as = await startAsServer({ id: 'gitterbridge', url: fake.url, hs_token: HS_TOKEN, protocols: ['gitter'] });
    alice = await registerUser(as.server.baseUrl, as.server.config, 'alice');
    bridged = (await as.asCall('POST', `${C}/createRoom`, { preset: 'public_chat', name: 'Bridged room' })).body.room_id as string;
    local = (await call(as.server.baseUrl, 'POST', `${C}/createRoom`, alice.accessToken, { preset: 'public_chat', visibility: 'public', name: 'Local room' })).body.room_id as string;
  });

  after(async () => {
    await as.close();
    await fake.close();
  });

  it('/thirdparty/protocols names each network instance with network_id and an instance_id', async () => {
    const r = await call(as.server.baseUrl, 'GET', `${C}/thirdparty/protocols`, alice.accessToken);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/thirdparty/protocols', 200, r.body);
    const instance = (r.body.gitter as { instances: Array<Record<string, unknown>> }).instances[0];
    assert.equal(instance?.network_id, 'gitter-net');
    assert.equal(instance?.instance_id, 'gitterbridge|gitter-net');
  });

  it('only the service publishes to its network list; an unknown room is 404', async () => {
    const path = `${C}/directory/list/appservice/gitter-net/${encodeURIComponent(bridged)}`;
    const byUser = await call(as.server.baseUrl, 'PUT', path, alice.accessToken, { visibility: 'public' });
    assert.equal(byUser.status, 403);
    assert.equal(byUser.body.errcode, 'M_FORBIDDEN');
    const put = await as.asCall('PUT', path, { visibility: 'public' });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assertMatchesSpec('client-server', 'put', '/_matrix/client/v3/directory/list/appservice/{networkId}/{roomId}', 200, put.body);
    const unknown = await as.asCall('PUT', `${C}/directory/list/appservice/gitter-net/${encodeURIComponent('!nope:localhost')}`, { visibility: 'public' });
    assert.equal(unknown.status, 404);
    const bad = await as.asCall('PUT', path, { visibility: 'everyone' });
    assert.equal(bad.status, 400);
  });

  it('/publicRooms reads the network list, the server list by default, or both with include_all_networks', async () => {
    assert.deepEqual(ids(await publicRooms({ third_party_instance_id: 'gitterbridge|gitter-net' })), [bridged]);
    assert.deepEqual(ids(await publicRooms({})), [local]);
    assert.deepEqual(ids(await publicRooms({ include_all_networks: true })), [bridged, local].sort());
    assert.deepEqual(ids(await publicRooms({ third_party_instance_id: 'otherbridge|gitter-net' })), []);
    const both = await publicRooms({ include_all_networks: true, third_party_instance_id: 'gitterbridge|gitter-net' });
    assert.equal(both.status, 400);
    assert.equal(both.body.errcode, 'M_INVALID_PARAM');
    const malformed = await publicRooms({ third_party_instance_id: 'no-bar' });
    assert.equal(malformed.status, 400);
  });

  it('visibility private takes the room off the network list', async () => {
    const r = await as.asCall('PUT', `${C}/directory/list/appservice/gitter-net/${encodeURIComponent(bridged)}`, { visibility: 'private' });
    assert.equal(r.status, 200);
    assert.deepEqual(ids(await publicRooms({ third_party_instance_id: 'gitterbridge|gitter-net' })), []);
  });
});
