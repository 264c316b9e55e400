import type { Knex } from 'knex';

// event_push_actions had three B-trees that lead with user_id: the primary key (user_id, event_id) and the
// indexes (user_id, room_id, stream_ordering) and (user_id, stream_ordering). Each notifying event inserts one
// row per member, and those rows land on a different leaf page of every such B-tree, so in a 50-member room
// each send dirtied ~49 pages per B-tree (SQLite writes each dirty page to its WAL at commit, Postgres to
// its heap and WAL). The readers need only two of them: a room's actions after a receipt
// (user_id, room_id, stream_ordering: unread counts) and a user's actions newest first (user_id,
// stream_ordering: the notifications API). stream_ordering is unique per event (events.stream_ordering is
// UNIQUE), so (user_id, stream_ordering) also identifies a row and replaces (user_id, event_id) as the key
// a re-run evaluation's duplicate insert is ignored on.
//
// The table is rebuilt rather than altered because SQLite cannot change a primary key in place; the copy is
// the same on both engines.
const OLD = 'event_push_actions';
const NEW = 'event_push_actions_0023';
const COLUMNS = ['user_id', 'event_id', 'room_id', 'stream_ordering', 'thread_id', 'notify', 'highlight', 'actions_json', 'ts'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable(NEW, (t) => {
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
    t.primary(['user_id', 'stream_ordering'], 'event_push_actions_user_stream_pkey');
    // Named explicitly: index names are per schema in Postgres, and the old table's index still exists here.
    t.index(['user_id', 'room_id', 'stream_ordering'], 'event_push_actions_user_room_stream');
  });
  await knex.raw('insert into ?? (??) select ?? from ??', [NEW, COLUMNS, COLUMNS, OLD]);
  await knex.schema.dropTable(OLD);
  await knex.schema.renameTable(NEW, OLD);
}
