import { randomBytes } from 'node:crypto';
import { signJson, signingKeyFromSeed, type SigningKey } from '../../../src/crypto/index.js';
import { createLogger } from '../../../src/http/logger.js';
import type { Storage } from '../../../src/storage/interfaces/index.js';
import type { StreamNotice } from '../../../src/types/notices.js';
import type { Requester } from '../../../src/types/requester.js';
import type { JsonObject } from '../../../src/types/json.js';
import { createE2eService, type E2eService, type E2eServiceDeps } from '../../../src/users/e2e/index.js';
import { testConfig } from '../../helpers/http.js';

// Building blocks for e2e service tests: a service on a real test database, requesters, and correctly
// signed device and cross-signing keys made with real ed25519 keys.

export const SERVER = 'test.example.org';

export function requester(userId: string, deviceId: string | null = 'DEV'): Requester {
  return { userId, deviceId, accessTokenId: 1, isGuest: false, appserviceId: null };
}

export interface E2eHarness {
  service: E2eService;
  notices: StreamNotice[];
  storage: Storage;
}

export function e2eHarness(storage: Storage, extra: Partial<E2eServiceDeps> = {}): E2eHarness {
  const notices: StreamNotice[] = [];
  const service = createE2eService({
    config: testConfig({ serverName: SERVER }),
    logger: createLogger('silent'),
    storage,
    notices: { publish: (n) => notices.push(n) },
    now: () => 1_700_000_000_000,
    ...extra,
  });
  return { service, notices, storage };
}

export function ed25519(keyId: string): SigningKey {
  return signingKeyFromSeed(keyId, randomBytes(32));
}

export interface TestDevice {
  userId: string;
  deviceId: string;
  key: SigningKey;
  curve: string;
  deviceKeys: JsonObject;
}

/** A device with a real ed25519 key and self-signed device_keys, as a client would upload them. */
export function makeDevice(userId: string, deviceId: string): TestDevice {
  const key = ed25519(`ed25519:${deviceId}`);
  const curve = randomBytes(32).toString('base64').replace(/=+$/, '');
  const unsigned: JsonObject = {
    user_id: userId,
    device_id: deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${deviceId}`]: curve, [`ed25519:${deviceId}`]: key.publicKeyBase64 },
  };
  return { userId, deviceId, key, curve, deviceKeys: signJson(unsigned, userId, key) };
}

export function signedOneTimeKey(device: TestDevice, value: string, fallback = false): JsonObject {
  return signJson({ key: value, ...(fallback ? { fallback: true } : {}) }, device.userId, device.key);
}

export interface CrossSigning {
  master: SigningKey;
  selfSigning: SigningKey;
  userSigning: SigningKey;
  body: { master_key: JsonObject; self_signing_key: JsonObject; user_signing_key: JsonObject };
}

/** A full set of cross-signing keys for `userId`, the sub-keys signed by the master key. */
export function makeCrossSigning(userId: string): CrossSigning {
  const mk = (usage: string) => {
    const k = ed25519('ed25519:placeholder');
    const withId = signingKeyFromSeed(`ed25519:${k.publicKeyBase64}`, k.seed);
    return { key: withId, obj: { user_id: userId, usage: [usage], keys: { [withId.keyId]: withId.publicKeyBase64 } } as JsonObject };
  };
  const master = mk('master');
  const ssk = mk('self_signing');
  const usk = mk('user_signing');
  return {
    master: master.key,
    selfSigning: ssk.key,
    userSigning: usk.key,
    body: {
      master_key: master.obj,
      self_signing_key: signJson(ssk.obj, userId, master.key),
      user_signing_key: signJson(usk.obj, userId, master.key),
    },
  };
}
