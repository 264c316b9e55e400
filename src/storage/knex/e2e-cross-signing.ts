import type { Knex } from 'knex';
import type { CrossSigningKeyType, SignatureRow, StoredCrossSigningKey } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { chunks, parseJsonObject } from './e2e-device-keys.js';

// Cross-signing keys, uploaded signatures and the device-list change stream (migrations/0006_e2e.ts).

const KEY_TYPES: ReadonlySet<string> = new Set(['master', 'self_signing', 'user_signing']);

export async function getCrossSigningKeys(knex: Knex, userId: string): Promise<Map<CrossSigningKeyType, StoredCrossSigningKey>> {
  const rows: Array<{ key_type: string; public_key: string; key_json: string }> = await knex('e2e_cross_signing_keys')
    .select('key_type', 'public_key', 'key_json')
    .where({ user_id: userId });
  const out = new Map<CrossSigningKeyType, StoredCrossSigningKey>();
  for (const r of rows) {
    if (!KEY_TYPES.has(r.key_type)) continue;
    const keyType = r.key_type as CrossSigningKeyType;
    out.set(keyType, { keyType, publicKey: r.public_key, key: parseJsonObject(r.key_json, 'cross-signing key') });
  }
  return out;
}

export async function setCrossSigningKeys(
  knex: Knex,
  dialect: Dialect,
  userId: string,
  keys: readonly StoredCrossSigningKey[],
  streamId: number,
  now: number,
): Promise<void> {
  await knex.transaction(async (trx) => {
    for (const k of keys) {
      await dialect.upsert(
        trx,
        'e2e_cross_signing_keys',
        { user_id: userId, key_type: k.keyType, public_key: k.publicKey, key_json: JSON.stringify(k.key), ts_added: now },
        ['user_id', 'key_type'],
      );
    }
    await trx('device_lists_stream').insert({ stream_id: streamId, user_id: userId });
  });
}

export async function getSignaturesOn(knex: Knex, targetUserId: string, targetKeyIds: readonly string[]): Promise<SignatureRow[]> {
  const out: SignatureRow[] = [];
  for (const part of chunks(targetKeyIds, 500)) {
    const rows: Array<{
      signer_user_id: string;
      signer_key_id: string;
      target_user_id: string;
      target_key_id: string;
      signature: string;
    }> = await knex('e2e_cross_signing_signatures').select('*').where({ target_user_id: targetUserId }).whereIn('target_key_id', part);
    for (const r of rows) {
      out.push({
        signerUserId: r.signer_user_id,
        signerKeyId: r.signer_key_id,
        targetUserId: r.target_user_id,
        targetKeyId: r.target_key_id,
        signature: r.signature,
      });
    }
  }
  return out;
}

export async function addSignatures(
  knex: Knex,
  dialect: Dialect,
  rows: readonly SignatureRow[],
  changedUsers: readonly string[],
  streamId: number,
): Promise<void> {
  await knex.transaction(async (trx) => {
    await dialect.upsert(
      trx,
      'e2e_cross_signing_signatures',
      rows.map((r) => ({
        signer_user_id: r.signerUserId,
        signer_key_id: r.signerKeyId,
        target_user_id: r.targetUserId,
        target_key_id: r.targetKeyId,
        signature: r.signature,
      })),
      ['signer_user_id', 'signer_key_id', 'target_user_id', 'target_key_id'],
    );
    await insertChanges(trx, dialect, changedUsers, streamId);
  });
}

async function insertChanges(db: Knex | Knex.Transaction, dialect: Dialect, userIds: readonly string[], streamId: number): Promise<void> {
  const unique = [...new Set(userIds)];
  for (const part of chunks(unique, dialect.batchSize(2))) {
    await db('device_lists_stream').insert(part.map((user_id) => ({ stream_id: streamId, user_id })));
  }
}

export async function markDeviceListsChanged(knex: Knex, dialect: Dialect, userIds: readonly string[], streamId: number): Promise<void> {
  await knex.transaction((trx) => insertChanges(trx, dialect, userIds, streamId));
}

export async function getDeviceListChanges(
  knex: Knex,
  from: number,
  to: number,
  among?: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  if (to <= from) return out;
  const load = async (users?: readonly string[]) => {
    const q = knex('device_lists_stream').distinct('user_id').where('stream_id', '>', from).andWhere('stream_id', '<=', to);
    if (users) q.whereIn('user_id', [...users]);
    const rows: Array<{ user_id: string }> = await q;
    for (const r of rows) out.add(r.user_id);
  };
  if (among === undefined) await load();
  else for (const part of chunks(among, 500)) await load(part);
  return out;
}

