import type { Knex } from 'knex';

// Fewer B-trees written per message.
//
// Every B-tree a commit touches costs SQLite at least one page (4 KiB) written into its WAL, two write calls
// each (bench/profile-wal-pages.ts: ~41 pages per message in a small room), and PostgreSQL an index insert
// and its WAL record.
//
// 1. event_edges and event_auth_edges (0002) are dropped, on both engines. They repeated each event's
//    prev_events and auth_events, one row per reference, in three B-trees each on SQLite, and nothing ever
//    read them: every reader takes those references from the event's JSON, which keeps them all (so the
//    tables could be rebuilt from `events` should a reader ever need them).
// 2. Two indexes of `events` are dropped, on both engines: (room_id, depth, stream_ordering) and (room_id,
//    type, state_key). No statement searches by depth or by type and state key (state is read through
//    current_state and state groups); the query plans of the whole test suite used them only for their
//    room_id prefix, which (room_id, stream_ordering) serves as well.
// 3. SQLite: a table whose primary key is not an INTEGER keeps two B-trees, the rows by rowid and the key as
//    an index pointing at them. The tables below have small rows and are only looked up by their key or their
//    other indexes, so they become WITHOUT ROWID tables, whose rows live in the key's B-tree: one B-tree less
//    each, and each key stored once instead of twice. PostgreSQL has no rowid B-tree.
// 4. SQLite: event_search drops AUTOINCREMENT, which made every insert also update sqlite_sequence. Its ids
//    only pair rows with their FTS5 entries (content_rowid); an id reused after the newest row was deleted is
//    harmless, as the delete trigger removed that row's entry.
//
// SQLite cannot change a table's kind in place: each is rebuilt from its own CREATE statement, its rows
// copied, and its indexes (and event_search's triggers) created again under their names.
const WITHOUT_ROWID = [
  'event_state',
  'event_txn_ids',
  'forward_extremities',
  'stream_positions',
  'event_index_position',
  'event_push_actions_staging',
];

type SchemaRow = { type: string; name: string; sql: string | null };

async function rebuild(knex: Knex, table: string, define: (createSql: string) => string): Promise<void> {
  const rows: SchemaRow[] = await knex('sqlite_schema').where({ tbl_name: table }).select('type', 'name', 'sql');
  const created = rows.find((r) => r.type === 'table' && r.name === table)?.sql;
  if (created === undefined || created === null) throw new Error(`migration 0026: table ${table} not found`);
  // Indexes SQLite made for a key or UNIQUE constraint have no SQL; the new table's definition makes them.
  const extras = rows.filter((r) => r.type !== 'table' && r.sql !== null);
  const temp = `${table}_0026`;
  const head = /^CREATE TABLE\s+(`[^`]+`|"[^"]+"|\S+)\s*\(/i.exec(created);
  if (head === null) throw new Error(`migration 0026: unexpected definition of ${table}: ${created}`);
  await knex.raw(define(`CREATE TABLE \`${temp}\` (${created.slice(head[0].length)}`));
  await knex.raw(`INSERT INTO \`${temp}\` SELECT * FROM \`${table}\``);
  // Dropped before the table so that dropping it deletes no FTS entries through them.
  for (const t of extras.filter((r) => r.type === 'trigger')) await knex.raw(`DROP TRIGGER \`${t.name}\``);
  await knex.raw(`DROP TABLE \`${table}\``);
  await knex.raw(`ALTER TABLE \`${temp}\` RENAME TO \`${table}\``);
  for (const r of extras) await knex.raw(r.sql as string);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.dropTable('event_edges');
  await knex.schema.dropTable('event_auth_edges');
  await knex.raw('DROP INDEX ??', ['events_room_id_depth_stream_ordering_index']);
  await knex.raw('DROP INDEX ??', ['events_room_id_type_state_key_index']);
  if (String(knex.client.config.client) === 'pg') return;
  for (const table of WITHOUT_ROWID) await rebuild(knex, table, (sql) => `${sql} WITHOUT ROWID`);
  await rebuild(knex, 'event_search', (sql) => {
    const out = sql.replace(/\bprimary key autoincrement\b/i, 'primary key');
    if (out === sql) throw new Error('migration 0026: event_search.id is not AUTOINCREMENT as expected');
    return out;
  });
}
