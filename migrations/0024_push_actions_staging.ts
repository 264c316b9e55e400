import type { Knex } from 'knex';

// On SQLite, the push actions of an event that notifies many members land in event_push_actions_staging, keyed
// room first, and are moved into event_push_actions (keyed user first) in batches a moment later
// (src/storage/knex/push-store.ts: insertActions, rotatePushActions).
//
// A notifying message writes one row per room member. In a user-leading B-tree each of those rows lands on that
// user's own leaf page, so a message in a 50-member room dirtied ~49 pages in each of two B-trees, and every
// commit wrote them all out (SQLite copies each dirty page into its WAL; Postgres logs them): 2.3 of the 2.8 ms
// SQLite spent per message, measured with bench/profile-statements.ts. Keyed (room_id, stream_ordering,
// user_id), one message's rows are neighbours on one or two pages; the batched move then touches each user's
// page once per batch rather than once per message. Readers read both tables.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('event_push_actions_staging', (t) => {
    t.string('room_id', 255).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    t.string('user_id', 255).notNullable();
    t.string('event_id', 255).notNullable();
    // 'main' unless the event is in a thread, then the thread root's event id.
    t.string('thread_id', 255).notNullable();
    t.boolean('notify').notNullable();
    t.boolean('highlight').notNullable();
    t.text('actions_json').notNullable();
    t.bigInteger('ts').notNullable();
    t.primary(['room_id', 'stream_ordering', 'user_id'], 'event_push_actions_staging_pkey');
    // The move takes the oldest rows first; a user's recent actions across rooms are found by position.
    t.index(['stream_ordering'], 'event_push_actions_staging_stream');
  });
}
