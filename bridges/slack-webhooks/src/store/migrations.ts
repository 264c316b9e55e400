import type { BridgeMigration } from '../../../_shared/src/index.js';

// The bridge's own schema, forward-only, in order. Append; never edit a released entry.

export const migrations: readonly BridgeMigration[] = [
  {
    name: '0001_links',
    async up(knex) {
      await knex.schema.createTable('slack_links', (t) => {
        t.string('room_id', 255).primary();
        t.text('webhook_url').nullable();
        t.string('outgoing_token', 255).nullable();
        t.string('team_id', 64).nullable();
        t.string('channel_id', 64).nullable();
        t.string('inbound_webhook_id', 128).nullable().unique();
        t.string('source', 16).notNullable();
        t.string('created_by', 255).nullable();
        t.bigInteger('created_at').notNullable();
        t.index(['team_id', 'channel_id']);
        t.index(['outgoing_token']);
      });
    },
  },
  {
    name: '0002_inbound_seen',
    async up(knex) {
      // Slack messages already posted into Matrix, by Slack's own id, so a retried callback is not posted twice.
      await knex.schema.createTable('slack_inbound_seen', (t) => {
        t.string('key', 255).primary();
        t.string('event_id', 255).notNullable();
        t.bigInteger('created_at').notNullable();
      });
    },
  },
  {
    name: '0003_outbox',
    async up(knex) {
      // Matrix events accepted from the homeserver and not yet posted to Slack: written before the transaction is
      // acknowledged, deleted once Slack took the post (or it failed for good), so a restart loses none.
      await knex.schema.createTable('slack_outbox', (t) => {
        t.increments('id').primary();
        t.string('event_id', 255).notNullable().unique();
        t.string('room_id', 255).notNullable();
        t.text('event_json').notNullable();
        t.integer('attempts').notNullable().defaultTo(0);
        t.bigInteger('next_attempt_at').notNullable().defaultTo(0);
        t.bigInteger('created_at').notNullable();
        t.index(['room_id', 'id']);
      });
    },
  },
];
