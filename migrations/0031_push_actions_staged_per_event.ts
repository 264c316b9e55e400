import type { Knex } from 'knex';

// event_push_actions_staging holds one row per event and outcome (notify, highlight, actions) instead of one per
// notified member: the members with that outcome are a JSON array of user ids (`users_json`, `n` of them), and
// `variant` numbers an event's outcomes. On SQLite a message in a busy room staged a row per member and the move
// deleted them again a moment later; a row or two per message costs a fraction of that
// (src/storage/knex/push-action-moves.ts says how the readers and the move unpack them). PostgreSQL never
// stages; it keeps the same schema, empty.
//
// Rows staged before this migration are moved into event_push_actions first (a row already there keeps what
// it has, as every move does), so the new table starts empty.
const TABLE = 'event_push_actions_staging';
const COLUMNS = ['user_id', 'event_id', 'room_id', 'stream_ordering', 'thread_id', 'notify', 'highlight', 'actions_json', 'ts'];

export async function up(knex: Knex): Promise<void> {
  const sqlite = String(knex.client.config.client) !== 'pg';
  await knex.raw('INSERT INTO ?? (??) SELECT ?? FROM ?? WHERE true ORDER BY user_id, stream_ordering ON CONFLICT DO NOTHING', ['event_push_actions', COLUMNS, COLUMNS, TABLE]);
  await knex.raw('DROP TABLE ??', [TABLE]);
  await knex.raw(
    `CREATE TABLE ?? (
      stream_ordering bigint NOT NULL,
      variant integer NOT NULL,
      event_id varchar(255) NOT NULL,
      room_id varchar(255) NOT NULL,
      thread_id varchar(255) NOT NULL,
      notify boolean NOT NULL,
      highlight boolean NOT NULL,
      actions_json text NOT NULL,
      ts bigint NOT NULL,
      n integer NOT NULL,
      users_json text NOT NULL,
      CONSTRAINT ?? PRIMARY KEY (stream_ordering, variant)
    )${sqlite ? ' WITHOUT ROWID' : ''}`,
    [TABLE, 'event_push_actions_staging_event_pkey'],
  );
}
