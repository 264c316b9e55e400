import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { registerUser, type RegisteredUser } from '../helpers/users.js';
import { makeDevice, signedOneTimeKey } from '../users/e2e/fixtures.js';
import { call, registerGhost, startAsServer, type AsServer } from './as-harness.js';
import { startFakeAppservice, waitFor, type FakeAppservice } from './fake-appservice.js';

// The encryption extensions of appservice transactions, against a fake service: to-device messages for the
// service's users' devices (MSC2409 / MSC4203, `de.sorunome.msc2409.to_device` with to_user_id /
// to_device_id), device-list changes of users sharing rooms with them (MSC3202 `device_lists`), and their
// devices' one-time key counts and unused fallback key types. To-device messages ride the durable transaction
// stream: a service that was down gets each one exactly once, in a byte-identical retry.

const C = '/_matrix/client/v3';
const HS_TOKEN = 'hs-token-encryption-extensions';

describe('appservice transactions: to-device, device lists and key counts (MSC2409, MSC3202)', () => {
  let fake: FakeAppservice;
  let as: AsServer;
  let alice: RegisteredUser;
  let ghost: string;
  let roomId: string;
  const asGhost = (path: string, device?: string) =>
    `${path}${path.includes('?') ? '&' : '?'}user_id=${encodeURIComponent(ghost)}${device !== undefined ? `&device_id=${device}` : ''}`;
  const bodies = () => fake.puts.map((p) => p.body);
  const toDeviceSeen = () => {
    const seen = new Set<string>();
    const out: Array<Record<string, unknown>> = [];
    for (const p of fake.puts) {
      if (seen.has(p.txnId)) continue;
      seen.add(p.txnId);
      out.push(...((p.body['de.sorunome.msc2409.to_device'] as Array<Record<string, unknown>> | undefined) ?? []));
    }
    return out;
  };

  before(async () => {
    fake = await startFakeAppservice(HS_TOKEN);
    as = await startAsServer({
      id: 'e2eebridge',
      url: fake.url,
      hs_token: HS_TOKEN,
      receive_ephemeral: true,
      'org.matrix.msc3202': true,
      'io.element.msc4190': true,
    });
    alice = await registerUser(as.server.baseUrl, as.server.config, 'alice');
    ghost = await registerGhost(as, '_br_crypto');
    assert.equal((await as.asCall('PUT', asGhost(`${C}/devices/GHOSTDEV`), {})).status, 201);
    const dev = makeDevice(ghost, 'GHOSTDEV');
    const upload = await as.asCall('POST', asGhost(`${C}/keys/upload`, 'GHOSTDEV'), {
      device_keys: dev.deviceKeys,
      one_time_keys: { 'signed_curve25519:AAAA': signedOneTimeKey(dev, 'a'), 'signed_curve25519:AAAB': signedOneTimeKey(dev, 'b') },
      fallback_keys: { 'signed_curve25519:FFFF': signedOneTimeKey(dev, 'f', true) },
    });
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    roomId = (await call(as.server.baseUrl, 'POST', `${C}/createRoom`, alice.accessToken, { preset: 'public_chat' })).body.room_id as string;
    assert.equal((await as.asCall('POST', asGhost(`${C}/rooms/${encodeURIComponent(roomId)}/join`), {})).status, 200);
  });

  after(async () => {
    await as.close();
    await fake.close();
  });

  it("a to-device message to the service's user arrives with to_user_id and to_device_id, with that device's key counts", async () => {
    const sent = await call(as.server.baseUrl, 'PUT', `${C}/sendToDevice/m.room.encrypted/td1`, alice.accessToken, {
      messages: { [ghost]: { GHOSTDEV: { algorithm: 'm.olm.v1.curve25519-aes-sha2', ciphertext: { x: { type: 0, body: 'secret' } } } } },
    });
    assert.equal(sent.status, 200);
    await waitFor(() => toDeviceSeen().length === 1, 15_000, 'the to-device message');
    const msg = toDeviceSeen()[0];
    assert.deepEqual(msg, {
      type: 'm.room.encrypted',
      sender: alice.userId,
      content: { algorithm: 'm.olm.v1.curve25519-aes-sha2', ciphertext: { x: { type: 0, body: 'secret' } } },
      to_user_id: ghost,
      to_device_id: 'GHOSTDEV',
    });
    const body = bodies().find((b) => b['de.sorunome.msc2409.to_device'] !== undefined) ?? {};
    const counts = body['org.matrix.msc3202.device_one_time_keys_count'] as Record<string, Record<string, Record<string, number>>>;
    assert.deepEqual(counts[ghost]?.GHOSTDEV, { signed_curve25519: 2 });
    const fallbacks = body['org.matrix.msc3202.device_unused_fallback_key_types'] as Record<string, Record<string, string[]>>;
    assert.deepEqual(fallbacks[ghost]?.GHOSTDEV, ['signed_curve25519']);
    assert.ok(Array.isArray((body['org.matrix.msc3202.device_lists'] as { left?: unknown }).left));
  });

  it('a device-list change of a user sharing a room with the service reaches it in device_lists.changed', async () => {
    const dev = makeDevice(alice.userId, alice.deviceId);
    assert.equal((await call(as.server.baseUrl, 'POST', `${C}/keys/upload`, alice.accessToken, { device_keys: dev.deviceKeys })).status, 200);
    await waitFor(
      () => bodies().some((b) => ((b['org.matrix.msc3202.device_lists'] as { changed?: string[] } | undefined)?.changed ?? []).includes(alice.userId)),
      15_000,
      "alice's device-list change",
    );
  });

  it('messages for other users are not sent; a service that was down gets each message once, in an identical retry', async () => {
    const bob = await registerUser(as.server.baseUrl, as.server.config, 'bob');
    fake.status = 500;
    const before = fake.puts.length;
    const sent = await call(as.server.baseUrl, 'PUT', `${C}/sendToDevice/m.test/td2`, alice.accessToken, {
      messages: { [ghost]: { '*': { n: 2 } }, [bob.userId]: { '*': { n: 'not for the bridge' } } },
    });
    assert.equal(sent.status, 200);
    await waitFor(() => fake.puts.length >= before + 2, 15_000, 'two failed attempts');
    const attempts = fake.puts.slice(before).filter((p) => p.body['de.sorunome.msc2409.to_device'] !== undefined);
    assert.ok(attempts.length >= 2);
    assert.equal(new Set(attempts.map((p) => p.txnId)).size, 1, 'the retry reuses the txn id');
    assert.equal(new Set(attempts.map((p) => JSON.stringify(p.body))).size, 1, 'and the body');
    fake.status = 200;
    await waitFor(() => toDeviceSeen().length === 2, 15_000, 'the second message');
    const second = toDeviceSeen()[1];
    assert.deepEqual([second?.type, second?.to_user_id, second?.to_device_id, second?.content], ['m.test', ghost, 'GHOSTDEV', { n: 2 }]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(toDeviceSeen().length, 2, 'nothing delivered twice, nothing for bob');
  });
});
