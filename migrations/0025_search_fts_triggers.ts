import type { Knex } from 'knex';

// SQLite: the FTS5 index over event_search (0011) follows the table through triggers, as SQLite's FTS5
// documentation gives for external-content tables, instead of statements of the search store.
//
// The store inserted rows with RETURNING and then their FTS entries with the returned ids: a read in the
// middle of a commit, so on SQLite every message's commit (messages are indexed as they are written) had to
// run through a knex transaction, statement by statement. With the triggers, indexing is plain inserts that
// go out with the rest of the commit (dialect.runWritesAsOne). A trigger fires only for a row actually
// inserted or deleted, so an event indexed twice (the insert ignores conflicts) keeps its one entry.
// PostgreSQL indexes through a tsvector column of the row itself and needs nothing here.
export async function up(knex: Knex): Promise<void> {
  if (String(knex.client.config.client) === 'pg') return;
  await knex.raw(
    'CREATE TRIGGER event_search_fts_insert AFTER INSERT ON event_search BEGIN ' +
      'INSERT INTO event_search_fts(rowid, value) VALUES (new.id, new.value); END',
  );
  await knex.raw(
    'CREATE TRIGGER event_search_fts_delete AFTER DELETE ON event_search BEGIN ' +
      "INSERT INTO event_search_fts(event_search_fts, rowid, value) VALUES ('delete', old.id, old.value); END",
  );
  await knex.raw(
    'CREATE TRIGGER event_search_fts_update AFTER UPDATE ON event_search BEGIN ' +
      "INSERT INTO event_search_fts(event_search_fts, rowid, value) VALUES ('delete', old.id, old.value); " +
      'INSERT INTO event_search_fts(rowid, value) VALUES (new.id, new.value); END',
  );
}
