import type { Knex } from 'knex';

// event_push_actions_staging (0024) is keyed (stream_ordering, user_id) instead of (room_id, stream_ordering,
// user_id), and loses its index on stream_ordering, which the new key serves.
//
// On SQLite a message in a big room stages a row per member (push-store.ts: insertActions) and the move takes
// them out again a moment later, oldest first; each row went into two B-trees, the key and the index, both
// times. Keyed by position first, one message's rows are still neighbours (they share its stream_ordering),
// every insert lands at the right-hand end of the one B-tree, and the move's cut and delete walk that B-tree
// from its start. The readers that picked one room's rows by the old key now range over the table by position
// from a read receipt; the table holds only the rows of the last moments not yet moved.
//
// Rebuilt because SQLite cannot change a primary key in place; staged rows are copied over. On SQLite the table
// stays WITHOUT ROWID (0026). PostgreSQL never stages (the table stays empty there) but keeps the same schema.
const TABLE = 'event_push_actions_staging';
const TEMP = 'event_push_actions_staging_0027';
const COLUMNS = ['stream_ordering', 'user_id', 'room_id', 'event_id', 'thread_id', 'notify', 'highlight', 'actions_json', 'ts'];

export async function up(knex: Knex): Promise<void> {
  const sqlite = String(knex.client.config.client) !== 'pg';
  await knex.raw(
    `CREATE TABLE ?? (
      stream_ordering bigint NOT NULL,
      user_id varchar(255) NOT NULL,
      room_id varchar(255) NOT NULL,
      event_id varchar(255) NOT NULL,
      thread_id varchar(255) NOT NULL,
      notify boolean NOT NULL,
      highlight boolean NOT NULL,
      actions_json text NOT NULL,
      ts bigint NOT NULL,
      CONSTRAINT ?? PRIMARY KEY (stream_ordering, user_id)
    )${sqlite ? ' WITHOUT ROWID' : ''}`,
    [TEMP, 'event_push_actions_staging_position_pkey'],
  );
  await knex.raw('INSERT INTO ?? (??) SELECT ?? FROM ?? ORDER BY stream_ordering, user_id', [TEMP, COLUMNS, COLUMNS, TABLE]);
  await knex.raw('DROP TABLE ??', [TABLE]);
  await knex.raw('ALTER TABLE ?? RENAME TO ??', [TEMP, TABLE]);
}
