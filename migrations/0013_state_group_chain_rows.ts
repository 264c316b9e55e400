import type { Knex } from 'knex';

// State groups: how many entry rows the delta chain holds from a group down to its snapshot (the snapshot's
// own rows excluded). The writer starts a new snapshot once this exceeds the size of the state itself, so
// reading a state never costs more than about twice reading a snapshot, while snapshots get rarer as a room's
// state grows (room-write-state-groups.ts). Groups written before this column count as 0.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('state_groups', (t) => {
    t.bigInteger('chain_rows').notNullable().defaultTo(0);
  });
}
