import type { Knex } from 'knex';

// event_state's index on state_group_after keeps only the rows where it differs from state_group_before: the
// events that changed the room's state. A message leaves the state as it found it (after = before), and its
// row in that index was one more B-tree written per message, at a random place (the key ends in the event
// id): ~1.3 of the ~21.5 pages a message in a busy 50-member room wrote into SQLite's WAL
// (bench/profile-wal-pages.ts; README, the 09:58 pass of 2026-11-29), and an index insert per event on
// PostgreSQL. Only the state-group GC (state-group-gc.ts) looks rows up by state_group_after, to learn whether
// any event names a group; a row with after = before names its group through state_group_before as well,
// whose index stays whole, so the GC asks the partial index only for rows with after <> before. Both columns
// are NOT NULL: a row is left out of the index exactly when after = before.
const INDEX = 'event_state_state_group_after_index';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX ??', [INDEX]);
  await knex.raw('CREATE INDEX ?? ON event_state (state_group_after) WHERE state_group_after <> state_group_before', [INDEX]);
}
