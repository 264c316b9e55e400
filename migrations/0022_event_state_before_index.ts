import type { Knex } from 'knex';

// State-group garbage collection (src/storage/knex/state-group-gc.ts) asks, per group, whether any event's
// state before names it; state_group_after already had an index, state_group_before had none, so each such
// question was a scan of event_state.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('event_state', (t) => {
    t.index(['state_group_before']);
  });
}
