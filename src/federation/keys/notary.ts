import { signJson, type SigningKey } from '../../crypto/index.js';
import type { ServerKeyStore, StoredKeyResponse } from '../../storage/interfaces/index.js';
import type { JsonObject } from '../../types/json.js';
import type { Keyring } from './keyring.js';

// Acting as a notary (server-server API, "Querying Keys Through Another Server"): we hand out the key
// documents other servers signed, exactly as they signed them, with our own signature added so the asker
// can tell we vouch for them. Stale copies are still served when the origin cannot be reached, because old
// events stay verifiable only through them.

export interface NotaryCriteria {
  serverName: string;
  /** Key ids the asker wants; empty for "all keys". */
  keyIds: readonly string[];
  /** The returned documents should be valid at least until then. */
  minimumValidUntilTs: number;
}

export interface Notary {
  /** Signed documents for every remote server asked about (our own keys are the route's business). */
  query(criteria: readonly NotaryCriteria[]): Promise<JsonObject[]>;
}

export interface NotaryDeps {
  serverName: string;
  signingKeys: readonly SigningKey[];
  store: ServerKeyStore;
  keyring: Pick<Keyring, 'refreshServerKeys'>;
  /** At most this many origins are contacted for one query; the rest are answered from the cache. */
  maxFetchesPerQuery?: number;
}

function listsKeys(response: StoredKeyResponse, keyIds: readonly string[]): boolean {
  const verify = response.json.verify_keys;
  const old = response.json.old_verify_keys;
  const has = (o: unknown, k: string) => typeof o === 'object' && o !== null && !Array.isArray(o) && k in o;
  return keyIds.every((k) => has(verify, k) || has(old, k));
}

function satisfies(response: StoredKeyResponse, c: NotaryCriteria): boolean {
  return response.validUntilTs >= c.minimumValidUntilTs && listsKeys(response, c.keyIds);
}

/** Responses the origin served itself are preferred over ones we only heard of through another notary. */
function pick(responses: readonly StoredKeyResponse[], c: NotaryCriteria): StoredKeyResponse[] {
  const good = responses.filter((r) => satisfies(r, c));
  const pool = good.length > 0 ? good : responses;
  const direct = pool.find((r) => r.fetchedFrom === c.serverName);
  return direct ? [direct] : pool.slice(0, 1);
}

export function createNotary(deps: NotaryDeps): Notary {
  const maxFetches = deps.maxFetchesPerQuery ?? 20;
  const sign = (json: JsonObject): JsonObject => {
    let doc: Record<string, unknown> = json;
    for (const key of deps.signingKeys) doc = signJson(doc, deps.serverName, key);
    return doc as JsonObject;
  };
  return {
    async query(criteria) {
      let budget = maxFetches;
      const perServer = await Promise.all(
        criteria
          .filter((c) => c.serverName !== deps.serverName)
          .map(async (c) => {
            let responses = await deps.store.getKeyResponses(c.serverName);
            if (!responses.some((r) => satisfies(r, c)) && budget > 0) {
              budget--;
              if (await deps.keyring.refreshServerKeys(c.serverName)) responses = await deps.store.getKeyResponses(c.serverName);
            }
            return pick(responses, c).map((r) => sign(r.json));
          }),
      );
      return perServer.flat();
    },
  };
}
