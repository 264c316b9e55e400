import type { Knex } from 'knex';
import type { KeyId, ServerName } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { ServerKeyStore, StoredKeyResponse, StoredServerKey } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';

const KEYS = 'server_signing_keys';
const RESPONSES = 'server_key_responses';

interface KeyRow {
  server_name: string;
  key_id: string;
  verify_key: string;
  valid_until_ts: unknown;
  expired_ts: unknown;
  fetched_from: string;
  fetched_at: unknown;
}

interface ResponseRow {
  server_name: string;
  fetched_from: string;
  valid_until_ts: unknown;
  fetched_at: unknown;
  key_json: string;
}

function keyFromRow(row: KeyRow): StoredServerKey {
  return {
    serverName: row.server_name,
    keyId: row.key_id,
    verifyKey: row.verify_key,
    validUntilTs: toSafeNumber(row.valid_until_ts, 'valid_until_ts'),
    expiredTs: row.expired_ts === null ? null : toSafeNumber(row.expired_ts, 'expired_ts'),
    fetchedFrom: row.fetched_from,
    fetchedAt: toSafeNumber(row.fetched_at, 'fetched_at'),
  };
}

function parseJsonObject(text: string, what: string): JsonObject {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} is not a JSON object`);
  return value as JsonObject;
}

function responseFromRow(row: ResponseRow): StoredKeyResponse {
  return {
    serverName: row.server_name,
    fetchedFrom: row.fetched_from,
    validUntilTs: toSafeNumber(row.valid_until_ts, 'valid_until_ts'),
    fetchedAt: toSafeNumber(row.fetched_at, 'fetched_at'),
    json: parseJsonObject(row.key_json, `stored key response for ${row.server_name}`),
  };
}

export class KnexServerKeyStore implements ServerKeyStore {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  async storeKeys(keys: readonly StoredServerKey[]): Promise<void> {
    if (keys.length === 0) return;
    const rows = keys.map((k) => ({
      server_name: k.serverName,
      key_id: k.keyId,
      verify_key: k.verifyKey,
      valid_until_ts: k.validUntilTs,
      expired_ts: k.expiredTs,
      fetched_from: k.fetchedFrom,
      fetched_at: k.fetchedAt,
    }));
    await this.knex.transaction((trx) => this.dialect.upsert(trx, KEYS, rows, ['server_name', 'key_id']));
  }

  async getKey(serverName: ServerName, keyId: KeyId): Promise<StoredServerKey | null> {
    const row: KeyRow | undefined = await this.knex(KEYS).where({ server_name: serverName, key_id: keyId }).first();
    return row === undefined ? null : keyFromRow(row);
  }

  async getKeys(serverName: ServerName, keyIds?: readonly KeyId[]): Promise<StoredServerKey[]> {
    if (keyIds !== undefined && keyIds.length === 0) return [];
    const query = this.knex(KEYS).where({ server_name: serverName }).orderBy('key_id');
    if (keyIds !== undefined) query.whereIn('key_id', [...keyIds]);
    const rows: KeyRow[] = await query;
    return rows.map(keyFromRow);
  }

  async storeKeyResponse(response: StoredKeyResponse): Promise<void> {
    await this.dialect.upsert(
      this.knex,
      RESPONSES,
      {
        server_name: response.serverName,
        fetched_from: response.fetchedFrom,
        valid_until_ts: response.validUntilTs,
        fetched_at: response.fetchedAt,
        // Stored as text, not jsonb: the exact bytes are irrelevant (signatures cover canonical
        // JSON), but text keeps both engines identical.
        key_json: JSON.stringify(response.json),
      },
      ['server_name', 'fetched_from'],
    );
  }

  async getKeyResponses(serverName: ServerName): Promise<StoredKeyResponse[]> {
    const rows: ResponseRow[] = await this.knex(RESPONSES)
      .where({ server_name: serverName })
      .orderBy([
        { column: 'valid_until_ts', order: 'desc' },
        { column: 'fetched_from', order: 'asc' },
      ]);
    return rows.map(responseFromRow);
  }

  async pruneExpired(beforeTs: number): Promise<{ keys: number; responses: number }> {
    return this.knex.transaction(async (trx) => {
      const keys = await trx(KEYS)
        .where((q) => q.whereNotNull('expired_ts').andWhere('expired_ts', '<', beforeTs))
        .orWhere((q) => q.whereNull('expired_ts').andWhere('valid_until_ts', '<', beforeTs))
        .delete();
      const responses = await trx(RESPONSES).where('valid_until_ts', '<', beforeTs).delete();
      return { keys, responses };
    });
  }
}
