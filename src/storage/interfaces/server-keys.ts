import type { JsonObject } from '../../types/json.js';
import type { KeyId, ServerName } from '../../types/ids.js';

/** One verify key of a remote server, as cached by the keyring. */
export interface StoredServerKey {
  serverName: ServerName;
  keyId: KeyId;
  /** Unpadded base64 ed25519 public key. */
  verifyKey: string;
  /**
   * Until when the origin said the key may be used (ms since epoch). For keys taken from
   * `old_verify_keys` this is the same as `expiredTs`.
   */
  validUntilTs: number;
  /** Set for keys the origin lists under `old_verify_keys`; null for current keys. */
  expiredTs: number | null;
  /** The server that answered: the origin itself, or the notary we asked. */
  fetchedFrom: ServerName;
  fetchedAt: number;
}

/**
 * A key response (`/_matrix/key/v2/server` body) exactly as signed by its origin. A notary
 * serves these unchanged apart from adding its own signature, so the original JSON is kept.
 */
export interface StoredKeyResponse {
  serverName: ServerName;
  fetchedFrom: ServerName;
  validUntilTs: number;
  fetchedAt: number;
  json: JsonObject;
}

export interface ServerKeyStore {
  /** Inserts or replaces keys by (serverName, keyId). */
  storeKeys(keys: readonly StoredServerKey[]): Promise<void>;
  getKey(serverName: ServerName, keyId: KeyId): Promise<StoredServerKey | null>;
  /** All cached keys of a server, or only the listed key ids. Ordered by key id. */
  getKeys(serverName: ServerName, keyIds?: readonly KeyId[]): Promise<StoredServerKey[]>;
  /** Inserts or replaces the response by (serverName, fetchedFrom). */
  storeKeyResponse(response: StoredKeyResponse): Promise<void>;
  /** Every cached response for a server, newest validity first. */
  getKeyResponses(serverName: ServerName): Promise<StoredKeyResponse[]>;
  /**
   * Drops keys and responses whose usefulness ended before `beforeTs`: a key counts until its
   * `expiredTs` when set, else its `validUntilTs`. Old keys still verify events sent while they
   * were valid, so callers pass a cutoff well in the past rather than "now".
   * Returns how many keys and responses were removed.
   */
  pruneExpired(beforeTs: number): Promise<{ keys: number; responses: number }>;
}
