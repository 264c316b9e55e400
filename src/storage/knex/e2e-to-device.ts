import type { Knex } from 'knex';
import type { InboxMessage, ToDeviceMessage } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';
import { chunks, parseJsonObject } from './e2e-device-keys.js';

// The to-device inbox (migrations/0006_e2e.ts): messages wait per recipient device until the device
// syncs with a token past them, so they survive restarts and are delivered once.

export async function addToDeviceMessages(
  knex: Knex,
  dialect: Dialect,
  sender: { userId: string; deviceId: string; txnId: string },
  messages: readonly ToDeviceMessage[],
  streamId: number,
  now: number,
): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const seen = await trx('to_device_sends')
      .select('stream_id')
      .where({ sender_user_id: sender.userId, sender_device_id: sender.deviceId, txn_id: sender.txnId })
      .first();
    if (seen !== undefined) return false;
    await trx('to_device_sends').insert({
      sender_user_id: sender.userId,
      sender_device_id: sender.deviceId,
      txn_id: sender.txnId,
      stream_id: streamId,
      created_ts: now,
    });
    const rows = messages.map((m) => ({
      user_id: m.userId,
      device_id: m.deviceId,
      stream_id: streamId,
      message_json: JSON.stringify(m.message),
    }));
    for (const part of chunks(rows, dialect.batchSize(4))) await trx('device_inbox').insert(part);
    return true;
  });
}

export async function getToDeviceMessages(
  knex: Knex,
  userId: string,
  deviceId: string,
  after: number,
  upTo: number,
  limit: number,
): Promise<InboxMessage[]> {
  if (upTo <= after || limit <= 0) return [];
  const rows: Array<{ stream_id: unknown; message_json: string }> = await knex('device_inbox')
    .select('stream_id', 'message_json')
    .where({ user_id: userId, device_id: deviceId })
    .andWhere('stream_id', '>', after)
    .andWhere('stream_id', '<=', upTo)
    .orderBy('stream_id', 'asc')
    .limit(limit);
  return rows.map((r) => ({
    streamId: toSafeNumber(r.stream_id, 'device_inbox.stream_id'),
    message: parseJsonObject(r.message_json, 'to-device message'),
  }));
}

export async function deleteToDeviceMessages(knex: Knex, userId: string, deviceId: string, upTo: number): Promise<number> {
  return knex('device_inbox').where({ user_id: userId, device_id: deviceId }).andWhere('stream_id', '<=', upTo).delete();
}
