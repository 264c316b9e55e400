import type { Knex } from 'knex';

// Rooms joined with partial state (send_join with omit_members, MSC3706/MSC3902): the join returned before
// the room's full state was known. A row lives until the background resync stored the full state; at start
// the server resumes the resync of every room still listed. `servers` is the resident servers' list
// (servers_in_room) that our events go to while we do not know the room's members.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('partial_state_rooms', (t) => {
    t.string('room_id', 255).primary();
    t.string('join_event_id', 255).notNullable();
    t.string('joined_via', 255).notNullable();
    t.text('servers').notNullable();
    t.bigInteger('created_ts').notNullable();
  });
}
