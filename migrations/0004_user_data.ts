import type { Knex } from 'knex';

// Per-user and ephemeral data, each with its own stream (sync tokens are made of these positions).
//
// Every table keeps only the LATEST row per key: a new write replaces the row and gives it a new, higher
// stream id. Readers ask "rows with from < stream_id <= to", which returns each changed key once, with its
// current value; that is what /sync wants. The stream id generators are seeded from MAX(stream_id) at boot,
// so the positions survive restarts.
export async function up(knex: Knex): Promise<void> {
  // Global (room_id = '') and per-room account data. Room tags live here as the per-room `m.tag` type, so one
  // stream carries both and a tag change reaches sync as a changed m.tag event.
  await knex.schema.createTable('account_data', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('room_id', 255).notNullable();
    t.string('type', 255).notNullable();
    t.text('content').notNullable();
    t.bigInteger('stream_id').notNullable();
    t.primary(['user_id', 'room_id', 'type']);
    t.index(['user_id', 'stream_id']);
    t.index(['stream_id']);
  });

  // Saved sync filters; ids are small integers per user, as Synapse hands out.
  await knex.schema.createTable('user_filters', (t) => {
    t.string('user_id', 255).notNullable();
    t.bigInteger('filter_id').notNullable();
    t.text('filter_json').notNullable();
    t.primary(['user_id', 'filter_id']);
  });

  // Read receipts, latest per (room, type, user, thread). thread_id '' is the unthreaded receipt.
  await knex.schema.createTable('receipts', (t) => {
    t.string('room_id', 255).notNullable();
    t.string('receipt_type', 255).notNullable();
    t.string('user_id', 255).notNullable();
    t.string('thread_id', 255).notNullable();
    t.string('event_id', 255).notNullable();
    t.text('data').notNullable();
    t.bigInteger('stream_id').notNullable();
    t.primary(['room_id', 'receipt_type', 'user_id', 'thread_id']);
    t.index(['room_id', 'stream_id']);
    t.index(['stream_id']);
  });

  // Presence, one row per user.
  await knex.schema.createTable('presence', (t) => {
    t.string('user_id', 255).primary();
    t.string('state', 32).notNullable();
    t.text('status_msg').nullable();
    t.bigInteger('last_active_ts').notNullable();
    t.boolean('currently_active').notNullable().defaultTo(false);
    t.bigInteger('stream_id').notNullable();
    t.index(['stream_id']);
  });
}
