import type { Knex } from 'knex';

// Relations and full-text search indexes, filled from persisted events by the indexer in src/rooms/relations
// (it follows the events stream and records how far it got in event_index_position).

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('event_relations', (t) => {
    t.string('event_id', 255).primary();
    t.string('relates_to_id', 255).notNullable();
    t.string('rel_type', 255).notNullable();
    t.string('room_id', 255).notNullable();
    t.string('sender', 255).notNullable();
    t.string('type', 255).notNullable();
    // m.annotation key (reactions); null for other relation types.
    t.text('aggregation_key').nullable();
    t.bigInteger('stream_ordering').notNullable();
    t.bigInteger('origin_server_ts').notNullable();
    t.boolean('is_state').notNullable().defaultTo(false);
    t.index(['relates_to_id', 'stream_ordering']);
    t.index(['room_id', 'rel_type', 'stream_ordering']);
  });

  // Searchable text of events: content.body of m.room.message, name of m.room.name, topic of m.room.topic.
  await knex.schema.createTable('event_search', (t) => {
    t.increments('id').primary();
    t.string('event_id', 255).notNullable().unique();
    t.string('room_id', 255).notNullable();
    t.string('sender', 255).notNullable();
    t.string('type', 255).notNullable();
    t.string('key', 64).notNullable();
    t.text('value').notNullable();
    t.bigInteger('stream_ordering').notNullable();
    t.bigInteger('origin_server_ts').notNullable();
    t.index(['room_id', 'stream_ordering']);
  });
  if (String(knex.client.config.client) === 'pg') {
    await knex.raw('ALTER TABLE event_search ADD COLUMN vector tsvector');
    await knex.raw('CREATE INDEX event_search_vector_idx ON event_search USING GIN (vector)');
  } else {
    // External-content FTS5 table over event_search.value; rows are kept in step by the search store.
    await knex.raw(
      "CREATE VIRTUAL TABLE event_search_fts USING fts5(value, content='event_search', content_rowid='id', tokenize='porter unicode61')",
    );
  }

  await knex.schema.createTable('event_index_position', (t) => {
    t.string('name', 64).primary();
    t.bigInteger('position').notNullable();
  });
}
