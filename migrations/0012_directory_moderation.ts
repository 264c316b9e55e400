import type { Knex } from 'knex';

// Content reports (events, rooms, users) filed by clients and read by server admins through the
// Synapse-compatible admin API. Append-only: a report is never edited, only deleted by an admin.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('content_reports', (t) => {
    t.bigIncrements('id');
    // 'event' | 'room' | 'user': which of the three report endpoints filed it.
    t.string('kind', 16).notNullable();
    t.bigInteger('received_ts').notNullable();
    t.string('reporter', 255).notNullable();
    t.string('room_id', 255).nullable();
    t.string('event_id', 255).nullable();
    t.string('target_user_id', 255).nullable();
    t.text('reason').nullable();
    t.integer('score').nullable();
    t.index(['kind', 'id']);
    t.index(['room_id']);
    t.index(['reporter']);
  });

  // OpenID tokens (POST /user/{userId}/openid/request_token) that other services verify through the
  // federation API's /openid/userinfo. Stored as SHA-256 hex digests like every other bearer secret.
  await knex.schema.createTable('openid_tokens', (t) => {
    t.string('token_hash', 64).primary();
    t.string('user_id', 255).notNullable();
    t.bigInteger('valid_until_ts').notNullable();
    t.index(['valid_until_ts']);
  });
}
