import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { generateSigningKey, signJson, verifyJsonSignature, type SigningKey } from '../../../src/crypto/index.js';
import { createKeyring, createNotary, KEY_VALIDITY_CAP_MS, type KeyFetchHttp, type Keyring } from '../../../src/federation/keys/index.js';
import { hashAndSignEvent, roomVersion } from '../../../src/protocol/index.js';
import type { ServerKeyStore } from '../../../src/storage/interfaces/index.js';
import { describeStorage } from '../../helpers/storage.js';
import { keyDocument } from '../helpers.js';

const DAY = 86_400_000;
const T0 = 1_750_000_000_000;

type Answer = Record<string, unknown> | Error;

/** A fake network: GET key documents per server, POST notary answers per notary, with call logs. */
function fakeHttp(direct: Record<string, Answer>, notaries: Record<string, (body: Record<string, unknown>) => Answer> = {}) {
  const calls: string[] = [];
  const posts: Array<{ notary: string; body: Record<string, unknown> }> = [];
  const http: KeyFetchHttp = {
    async getJson(destination, path) {
      calls.push(`GET ${destination}${path}`);
      await new Promise((r) => setImmediate(r));
      const a = direct[destination];
      if (a === undefined || a instanceof Error) throw a ?? new Error('connection refused');
      return a;
    },
    async postJson(destination, path, body) {
      calls.push(`POST ${destination}${path}`);
      posts.push({ notary: destination, body });
      const a = notaries[destination]?.(body);
      if (a === undefined || a instanceof Error) throw a ?? new Error('connection refused');
      return a;
    },
  };
  return { http, calls, posts };
}

interface Setup {
  keyring: Keyring;
  calls: string[];
  posts: Array<{ notary: string; body: Record<string, unknown> }>;
  clock: { now: number };
  store: ServerKeyStore;
}

function setup(
  store: ServerKeyStore,
  direct: Record<string, Answer>,
  opts: { notaries?: Record<string, (body: Record<string, unknown>) => Answer>; trusted?: Array<{ serverName: string; verifyKeys: Record<string, string> | null }>; own?: SigningKey[] } = {},
): Setup {
  const { http, calls, posts } = fakeHttp(direct, opts.notaries);
  const clock = { now: T0 };
  const keyring = createKeyring({
    serverName: 'me.test',
    signingKeys: opts.own ?? [generateSigningKey('me')],
    oldSigningKeys: {},
    trustedKeyServers: opts.trusted ?? [],
    store,
    http,
    logger: pino({ level: 'silent' }),
    now: () => clock.now,
    options: { minRefetchIntervalMs: 60_000, initialBackoffMs: 10_000, maxBackoffMs: 80_000 },
  });
  return { keyring, calls, posts, clock, store };
}

const remoteKey = generateSigningKey('r1');
const otherKey = generateSigningKey('r1');

describeStorage('keyring', (h) => {
  test('fetches a key directly, caps its validity at 7 days after the fetch, and serves it from the cache after', async () => {
    const { serverKeys } = await h.open();
    const s = setup(serverKeys, { 'remote.test': keyDocument('remote.test', [remoteKey], T0 + 30 * DAY) });
    const key = await s.keyring.getVerifyKey('remote.test', 'ed25519:r1');
    assert.deepEqual(key, { publicKey: remoteKey.publicKeyBase64, validUntilTs: T0 + KEY_VALIDITY_CAP_MS });
    assert.equal((await serverKeys.getKeyResponses('remote.test')).length, 1);
    s.clock.now += 5 * 60_000;
    assert.deepEqual(await s.keyring.getVerifyKey('remote.test', 'ed25519:r1', { minimumValidUntilTs: s.clock.now }), key);
    assert.equal(s.calls.length, 1);
  });

  test('a document not self-signed with a listed key, or for another server, is not believed', async () => {
    const { serverKeys } = await h.open();
    const forged = keyDocument('remote.test', [remoteKey], T0 + DAY, {}, [otherKey]);
    const badSig = { ...keyDocument('remote.test', [remoteKey], T0 + DAY), valid_until_ts: T0 + 2 * DAY };
    const wrongName = keyDocument('elsewhere.test', [remoteKey], T0 + DAY);
    for (const [i, doc] of [forged, badSig, wrongName].entries()) {
      const s = setup(serverKeys, { [`r${i}.test`]: doc });
      assert.equal(await s.keyring.getVerifyKey(`r${i}.test`, 'ed25519:r1'), undefined);
      assert.deepEqual(await serverKeys.getKeys(`r${i}.test`), []);
    }
  });

  test('old_verify_keys verify events until they expired but never requests', async () => {
    const { serverKeys } = await h.open();
    const retired = generateSigningKey('old');
    const s = setup(serverKeys, {
      'remote.test': keyDocument('remote.test', [remoteKey], T0 + DAY, { 'ed25519:old': { key: retired.publicKeyBase64, expired_ts: T0 - DAY } }),
    });
    assert.deepEqual(await s.keyring.getVerifyKey('remote.test', 'ed25519:old', { minimumValidUntilTs: T0 - 2 * DAY }), {
      publicKey: retired.publicKeyBase64,
      validUntilTs: T0 - DAY,
    });
    assert.equal(await s.keyring.getVerifyKey('remote.test', 'ed25519:old', { allowOld: false }), undefined);
    assert.equal(await s.keyring.getVerifyKey('remote.test', 'ed25519:old', { minimumValidUntilTs: T0 }), undefined);
  });

  test('a cached key too short-lived for the asked time is re-fetched, at most once a minute', async () => {
    const { serverKeys } = await h.open();
    const direct: Record<string, Answer> = { 'remote.test': keyDocument('remote.test', [remoteKey], T0 + 60 * 60_000) };
    const s = setup(serverKeys, direct);
    await s.keyring.getVerifyKey('remote.test', 'ed25519:r1');
    s.clock.now += 2 * 60 * 60_000;
    direct['remote.test'] = keyDocument('remote.test', [remoteKey], s.clock.now + DAY);
    const key = await s.keyring.getVerifyKey('remote.test', 'ed25519:r1', { minimumValidUntilTs: s.clock.now });
    assert.equal(key?.validUntilTs, s.clock.now + DAY);
    assert.equal(s.calls.length, 2);
    // Asking beyond what the server promises does not refetch again within the minute.
    assert.equal(await s.keyring.getVerifyKey('remote.test', 'ed25519:r1', { minimumValidUntilTs: s.clock.now + 2 * DAY }), undefined);
    assert.equal(s.calls.length, 2);
  });

  test('concurrent look-ups of one server share one fetch', async () => {
    const { serverKeys } = await h.open();
    const s = setup(serverKeys, { 'remote.test': keyDocument('remote.test', [remoteKey], T0 + DAY) });
    const keys = await Promise.all(Array.from({ length: 10 }, () => s.keyring.getVerifyKey('remote.test', 'ed25519:r1')));
    assert.ok(keys.every((k) => k?.publicKey === remoteKey.publicKeyBase64));
    assert.equal(s.calls.length, 1);
  });

  test('an unreachable server is not asked again until its backoff has passed, and the backoff grows', async () => {
    const { serverKeys } = await h.open();
    const s = setup(serverKeys, { 'down.test': new Error('connection refused') });
    assert.equal(await s.keyring.getVerifyKey('down.test', 'ed25519:r1'), undefined);
    assert.equal(await s.keyring.getVerifyKey('down.test', 'ed25519:r1'), undefined);
    assert.equal(s.calls.length, 1);
    s.clock.now += 10_001;
    await s.keyring.getVerifyKey('down.test', 'ed25519:r1');
    assert.equal(s.calls.length, 2);
    s.clock.now += 10_001; // second failure: 20 s
    await s.keyring.getVerifyKey('down.test', 'ed25519:r1');
    assert.equal(s.calls.length, 2);
    s.clock.now += 10_000;
    await s.keyring.getVerifyKey('down.test', 'ed25519:r1');
    assert.equal(s.calls.length, 3);
  });

  test('when servers do not answer, one batched notary query is verified against the notary key and the origin', async () => {
    const { serverKeys } = await h.open();
    const notaryKey = generateSigningKey('n');
    const aKey = generateSigningKey('a');
    const bKey = generateSigningKey('b');
    const vouch = (doc: Record<string, unknown>, key = notaryKey) => signJson(doc, 'notary.test', key);
    const s = setup(
      serverKeys,
      {},
      {
        trusted: [{ serverName: 'notary.test', verifyKeys: { 'ed25519:n': notaryKey.publicKeyBase64 } }],
        notaries: {
          'notary.test': () => ({
            server_keys: [
              vouch(keyDocument('a.test', [aKey], T0 + DAY)),
              vouch(keyDocument('b.test', [bKey], T0 + DAY)),
              // Not asked for: ignored.
              vouch(keyDocument('c.test', [generateSigningKey('c')], T0 + DAY)),
            ],
          }),
        },
      },
    );
    const keys = await s.keyring.getVerifyKeys([
      { serverName: 'a.test', keyId: 'ed25519:a' },
      { serverName: 'b.test', keyId: 'ed25519:b', minimumValidUntilTs: T0 },
    ]);
    assert.equal(keys.size, 2);
    assert.equal(s.posts.length, 1);
    assert.deepEqual(Object.keys((s.posts[0]?.body.server_keys ?? {}) as object).sort(), ['a.test', 'b.test']);
    assert.deepEqual((await serverKeys.getKeys('c.test')).length, 0);
    assert.equal((await serverKeys.getKey('a.test', 'ed25519:a'))?.fetchedFrom, 'notary.test');
  });

  test("a notary answer signed with a key we do not trust for it, or forging the origin's signature, is rejected", async () => {
    const { serverKeys } = await h.open();
    const notaryKey = generateSigningKey('n');
    const aKey = generateSigningKey('a');
    for (const answer of [
      signJson(keyDocument('a.test', [aKey], T0 + DAY), 'notary.test', generateSigningKey('n')),
      signJson(keyDocument('a.test', [aKey], T0 + DAY, {}, [generateSigningKey('a')]), 'notary.test', notaryKey),
    ]) {
      const s = setup(serverKeys, {}, {
        trusted: [{ serverName: 'notary.test', verifyKeys: { 'ed25519:n': notaryKey.publicKeyBase64 } }],
        notaries: { 'notary.test': () => ({ server_keys: [answer] }) },
      });
      assert.equal(await s.keyring.getVerifyKey('a.test', 'ed25519:a'), undefined);
      assert.equal(s.posts.length, 1);
    }
  });

  test('a notary without configured verify_keys is trusted with its own published keys', async () => {
    const { serverKeys } = await h.open();
    const notaryKey = generateSigningKey('n');
    const aKey = generateSigningKey('a');
    const s = setup(serverKeys, { 'notary.test': keyDocument('notary.test', [notaryKey], T0 + DAY) }, {
      trusted: [{ serverName: 'notary.test', verifyKeys: null }],
      notaries: { 'notary.test': () => ({ server_keys: [signJson(keyDocument('a.test', [aKey], T0 + DAY), 'notary.test', notaryKey)] }) },
    });
    assert.equal((await s.keyring.getVerifyKey('a.test', 'ed25519:a'))?.publicKey, aKey.publicKeyBase64);
  });

  test('our own keys are answered without any fetch; event signatures verify through the keyring', async () => {
    const { serverKeys } = await h.open();
    const me = generateSigningKey('me');
    const s = setup(serverKeys, { 'remote.test': keyDocument('remote.test', [remoteKey], T0 + DAY) }, { own: [me] });
    assert.deepEqual(await s.keyring.getVerifyKey('me.test', 'ed25519:me'), { publicKey: me.publicKeyBase64 });
    const v = roomVersion('11');
    const event = {
      room_id: '!r:remote.test', type: 'm.room.message', sender: '@u:remote.test', content: { body: 'hi' },
      origin_server_ts: T0, depth: 3, prev_events: [], auth_events: [],
    };
    const { pdu } = hashAndSignEvent(v, event, 'remote.test', remoteKey);
    assert.deepEqual(await s.keyring.verifyEventSignatures(v, pdu), { ok: true });
    const forged = hashAndSignEvent(v, event, 'remote.test', otherKey).pdu;
    assert.equal((await s.keyring.verifyEventSignatures(v, forged)).ok, false);
    assert.equal(s.calls.length, 1);
  });

  test('the notary serves stored documents with our signature added, fetching those it lacks', async () => {
    const { serverKeys } = await h.open();
    const me = generateSigningKey('me');
    const direct: Record<string, Answer> = { 'remote.test': keyDocument('remote.test', [remoteKey], T0 + DAY) };
    const s = setup(serverKeys, direct, { own: [me] });
    const notary = createNotary({ serverName: 'me.test', signingKeys: [me], store: serverKeys, keyring: s.keyring });
    const [served, ...rest] = await notary.query([{ serverName: 'remote.test', keyIds: [], minimumValidUntilTs: T0 }]);
    assert.equal(rest.length, 0);
    assert.ok(served);
    assert.ok(verifyJsonSignature(served, 'me.test', 'ed25519:me', me.publicKeyBase64));
    assert.ok(verifyJsonSignature(served, 'remote.test', 'ed25519:r1', remoteKey.publicKeyBase64));
    assert.equal(s.calls.length, 1);
    // Unreachable with nothing cached: nothing to serve.
    assert.deepEqual(await notary.query([{ serverName: 'gone.test', keyIds: [], minimumValidUntilTs: T0 }]), []);
    // Stale and unreachable: the last copy is still served so old events stay verifiable.
    s.clock.now += 2 * DAY;
    direct['remote.test'] = new Error('connection refused');
    const [stale] = await notary.query([{ serverName: 'remote.test', keyIds: [], minimumValidUntilTs: s.clock.now }]);
    assert.equal(stale?.valid_until_ts, T0 + DAY);
    assert.equal(s.calls.length, 3);
  });
  test('a stored key is read from the database once for many verifications, and again after a fetch renewed it', async () => {
    const { serverKeys } = await h.open();
    let reads = 0;
    const counting: ServerKeyStore = Object.assign(Object.create(serverKeys) as ServerKeyStore, {
      getKey: (server: string, keyId: string) => {
        reads++;
        return serverKeys.getKey(server, keyId);
      },
    });
    const direct: Record<string, Answer> = { 'remote.test': keyDocument('remote.test', [remoteKey], T0 + 60 * 60_000) };
    const s = setup(counting, direct);
    await s.keyring.getVerifyKey('remote.test', 'ed25519:r1');
    const afterFetch = reads;
    for (let i = 0; i < 50; i++) assert.ok(await s.keyring.getVerifyKey('remote.test', 'ed25519:r1', { minimumValidUntilTs: s.clock.now }));
    assert.equal(reads, afterFetch);
    // Past the kept copy's validity: the key is fetched again and the renewed copy is what answers.
    s.clock.now += 2 * 60 * 60_000;
    direct['remote.test'] = keyDocument('remote.test', [remoteKey], s.clock.now + DAY);
    const renewed = await s.keyring.getVerifyKey('remote.test', 'ed25519:r1', { minimumValidUntilTs: s.clock.now });
    assert.equal(renewed?.validUntilTs, s.clock.now + DAY);
    const readsAfterRenewal = reads;
    assert.equal((await s.keyring.getVerifyKey('remote.test', 'ed25519:r1', { minimumValidUntilTs: s.clock.now }))?.validUntilTs, s.clock.now + DAY);
    assert.equal(reads, readsAfterRenewal);
  });
});
