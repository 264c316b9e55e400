import type { Knex } from 'knex';

// The relations and the search index keep positions of their own (src/rooms/relations/indexer.ts): the room
// writer's commits write relation rows only, and the search index is filled by its indexer in batches. Both
// were one index, 'relations_search'; each goes on from where it stood, so nothing is indexed twice or skipped
// (a position a newer server already wrote is kept). A database whose indexer never ran has no row: each index
// then starts from the beginning.
export async function up(knex: Knex): Promise<void> {
  for (const name of ['relations', 'search']) {
    await knex.raw(
      `insert into event_index_position (name, position) select '${name}', position from event_index_position
       where name = 'relations_search' and not exists (select 1 from event_index_position where name = '${name}')`,
    );
  }
  await knex.raw("delete from event_index_position where name = 'relations_search'");
}
