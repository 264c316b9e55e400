import type { Knex } from 'knex';

// Push: the user's own push rules and their changes to server-default rules, the per-user actions of
// notifying events (unread counts and GET /notifications), pushers, and the durable queue of deliveries
// to push gateways.
export async function up(knex: Knex): Promise<void> {
  // Rules a user created. `priority` orders rules of one kind (higher first); PUT with before/after picks
  // a value between neighbours, so it is a float-free integer gap scheme handled by the service.
  await knex.schema.createTable('push_rules', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('kind', 16).notNullable();
    t.string('rule_id', 255).notNullable();
    t.bigInteger('priority').notNullable();
    t.text('rule_json').notNullable();
    t.primary(['user_id', 'kind', 'rule_id']);
  });

  // Changes of `enabled` and `actions` to any rule (server-default ones included), kept apart from the rule.
  await knex.schema.createTable('push_rule_overrides', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('kind', 16).notNullable();
    t.string('rule_id', 255).notNullable();
    t.boolean('enabled').nullable();
    t.text('actions_json').nullable();
    t.primary(['user_id', 'kind', 'rule_id']);
  });

  // One row per (user, notifying event). Counts are derived from these and the user's read receipts.
  await knex.schema.createTable('event_push_actions', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('event_id', 255).notNullable();
    t.string('room_id', 255).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    // 'main' unless the event is in a thread, then the thread root's event id.
    t.string('thread_id', 255).notNullable();
    t.boolean('notify').notNullable();
    t.boolean('highlight').notNullable();
    t.text('actions_json').notNullable();
    t.bigInteger('ts').notNullable();
    t.primary(['user_id', 'event_id']);
    t.index(['user_id', 'room_id', 'stream_ordering']);
    t.index(['user_id', 'stream_ordering']);
  });

  await knex.schema.createTable('pushers', (t) => {
    t.increments('id').primary();
    t.string('user_id', 255).notNullable();
    t.bigInteger('access_token_id').nullable();
    t.string('kind', 32).notNullable();
    t.string('app_id', 255).notNullable();
    t.string('pushkey', 512).notNullable();
    t.string('app_display_name', 255).notNullable();
    t.string('device_display_name', 255).notNullable();
    t.string('profile_tag', 255).nullable();
    t.string('lang', 64).notNullable();
    t.text('data_json').notNullable();
    t.bigInteger('created_ts').notNullable();
    t.unique(['user_id', 'app_id', 'pushkey']);
    t.index(['app_id', 'pushkey']);
  });

  // Durable deliveries: one row per (pusher, event); removed once the gateway accepted it or gave up.
  await knex.schema.createTable('push_queue', (t) => {
    t.increments('id').primary();
    t.integer('pusher_id').notNullable();
    t.string('user_id', 255).notNullable();
    t.string('event_id', 255).notNullable();
    t.string('room_id', 255).notNullable();
    t.text('actions_json').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_ts').notNullable();
    t.bigInteger('created_ts').notNullable();
    t.unique(['pusher_id', 'event_id']);
    t.index(['next_attempt_ts']);
  });
}
