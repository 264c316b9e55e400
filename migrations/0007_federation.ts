import type { Knex } from 'knex';

// Outbound federation: per-destination queues of PDUs and EDUs waiting to be sent, and each destination's
// retry state. Written by the federation sender (src/federation/outbound) through FederationQueueStore.
// Server keys already live in 0001 (server_signing_keys, server_key_responses).
//
// A queued item with txn_id null is waiting; a non-null txn_id means it was claimed into the transaction
// now in flight to that destination (federation_destinations.txn_id). Retries resend exactly those items
// under the same transaction id, so the receiver's (origin, txn_id) de-duplication holds across restarts.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('federation_destinations', (t) => {
    t.string('destination', 255).primary();
    t.integer('failure_count').notNullable().defaultTo(0);
    t.bigInteger('retry_interval_ms').notNullable().defaultTo(0);
    // 0 means "may send now".
    t.bigInteger('next_attempt_ts').notNullable().defaultTo(0);
    t.bigInteger('last_failure_ts').nullable();
    t.bigInteger('last_success_ts').nullable();
    // The transaction in flight, if any, and the origin_server_ts it was built with.
    t.string('txn_id', 255).nullable();
    t.bigInteger('txn_origin_server_ts').nullable();
  });

  // PDUs are queued by event id; the sender loads the event when it builds the transaction, so a PDU sent
  // to many servers is stored once, and one redacted in the meantime goes out redacted.
  await knex.schema.createTable('federation_outbound_pdus', (t) => {
    t.bigIncrements('id');
    t.string('destination', 255).notNullable();
    t.string('event_id', 255).notNullable();
    t.string('room_id', 255).notNullable();
    t.bigInteger('queued_ts').notNullable();
    t.string('txn_id', 255).nullable();
    t.unique(['destination', 'event_id']);
    t.index(['destination', 'txn_id', 'id']);
  });

  // EDUs exist nowhere else, so their content is stored. A coalesce key lets a newer EDU replace a waiting
  // older one of the same kind (e.g. typing in one room) instead of queueing both.
  await knex.schema.createTable('federation_outbound_edus', (t) => {
    t.bigIncrements('id');
    t.string('destination', 255).notNullable();
    t.string('edu_type', 255).notNullable();
    t.text('content').notNullable();
    t.string('coalesce_key', 255).nullable();
    t.bigInteger('queued_ts').notNullable();
    t.string('txn_id', 255).nullable();
    t.index(['destination', 'txn_id', 'id']);
    t.index(['destination', 'edu_type', 'coalesce_key']);
  });
}
