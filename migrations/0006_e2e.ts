import type { Knex } from 'knex';

// End-to-end encryption: device identity keys, one-time and fallback keys, cross-signing keys and their
// signatures, the device-list change stream, the to-device inbox and server-side key backups.
// The server never sees plaintext: every *_json column holds a client-signed or client-encrypted object
// exactly as uploaded (JSON text), so it can be served back byte-for-byte equivalent.
export async function up(knex: Knex): Promise<void> {
  // One identity-key object per device (POST /keys/upload device_keys).
  await knex.schema.createTable('e2e_device_keys', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('device_id', 255).notNullable();
    t.text('key_json').notNullable();
    t.bigInteger('ts_added').notNullable();
    t.primary(['user_id', 'device_id']);
  });

  // One-time keys. `id` records upload order: /keys/claim hands out the oldest first (spec v1.13).
  await knex.schema.createTable('e2e_one_time_keys', (t) => {
    t.bigIncrements('id');
    t.string('user_id', 255).notNullable();
    t.string('device_id', 255).notNullable();
    t.string('algorithm', 255).notNullable();
    t.string('key_id', 255).notNullable();
    t.text('key_json').notNullable();
    t.bigInteger('ts_added').notNullable();
    t.unique(['user_id', 'device_id', 'algorithm', 'key_id']);
    t.index(['user_id', 'device_id', 'algorithm', 'id']);
  });

  // At most one fallback key per (device, algorithm); `used` once claimed, reset when replaced.
  await knex.schema.createTable('e2e_fallback_keys', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('device_id', 255).notNullable();
    t.string('algorithm', 255).notNullable();
    t.string('key_id', 255).notNullable();
    t.text('key_json').notNullable();
    t.boolean('used').notNullable().defaultTo(false);
    t.primary(['user_id', 'device_id', 'algorithm']);
  });

  // The current cross-signing keys of a user: key_type is master | self_signing | user_signing.
  await knex.schema.createTable('e2e_cross_signing_keys', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('key_type', 32).notNullable();
    // The unpadded base64 ed25519 public key (also the key id's suffix).
    t.string('public_key', 255).notNullable();
    t.text('key_json').notNullable();
    t.bigInteger('ts_added').notNullable();
    t.primary(['user_id', 'key_type']);
  });

  // Signatures uploaded through /keys/signatures/upload, merged into /keys/query answers. The target is
  // a device (target_key_id = device id) or a cross-signing key (target_key_id = its public key).
  await knex.schema.createTable('e2e_cross_signing_signatures', (t) => {
    t.string('signer_user_id', 255).notNullable();
    t.string('signer_key_id', 255).notNullable();
    t.string('target_user_id', 255).notNullable();
    t.string('target_key_id', 255).notNullable();
    t.text('signature').notNullable();
    t.primary(['signer_user_id', 'signer_key_id', 'target_user_id', 'target_key_id']);
    t.index(['target_user_id', 'target_key_id']);
  });

  // Append-only: "user X's devices or keys changed at position P". /sync device_lists and /keys/changes
  // read it; federation will send device-list EDUs from it. Never pruned, so the generator seeds right.
  await knex.schema.createTable('device_lists_stream', (t) => {
    t.bigInteger('stream_id').notNullable();
    t.string('user_id', 255).notNullable();
    t.primary(['stream_id', 'user_id']);
    t.index(['user_id', 'stream_id']);
  });

  // One row per accepted /sendToDevice request: the idempotency record per (sender, device, txn) and
  // the to-device stream's id source. Inbox rows are deleted once acknowledged, so seeding the
  // generator from device_inbox could reuse ids a client has already acknowledged; this table keeps them.
  await knex.schema.createTable('to_device_sends', (t) => {
    t.string('sender_user_id', 255).notNullable();
    // '' for requests made without a device (appservice tokens).
    t.string('sender_device_id', 255).notNullable();
    t.string('txn_id', 255).notNullable();
    t.bigInteger('stream_id').notNullable().unique();
    t.bigInteger('created_ts').notNullable();
    t.primary(['sender_user_id', 'sender_device_id', 'txn_id']);
  });

  // Pending to-device messages per recipient device, deleted when the device syncs past them.
  await knex.schema.createTable('device_inbox', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('device_id', 255).notNullable();
    t.bigInteger('stream_id').notNullable();
    // {type, sender, content} as delivered in /sync to_device.events.
    t.text('message_json').notNullable();
    t.primary(['user_id', 'device_id', 'stream_id']);
    t.index(['stream_id']);
  });

  // Server-side key backup versions. Deleted versions stay as tombstones so their number is never reused.
  await knex.schema.createTable('e2e_room_keys_versions', (t) => {
    t.string('user_id', 255).notNullable();
    t.bigInteger('version').notNullable();
    t.string('algorithm', 255).notNullable();
    t.text('auth_data').notNullable();
    // Bumped on every change of the keys stored in this version; clients compare it.
    t.bigInteger('etag').notNullable().defaultTo(0);
    t.boolean('deleted').notNullable().defaultTo(false);
    t.primary(['user_id', 'version']);
  });

  await knex.schema.createTable('e2e_room_keys', (t) => {
    t.string('user_id', 255).notNullable();
    t.bigInteger('version').notNullable();
    t.string('room_id', 255).notNullable();
    t.string('session_id', 255).notNullable();
    t.integer('first_message_index').notNullable();
    t.integer('forwarded_count').notNullable();
    t.boolean('is_verified').notNullable();
    t.text('session_data').notNullable();
    t.primary(['user_id', 'version', 'room_id', 'session_id']);
  });
}
