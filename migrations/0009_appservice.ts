import type { Knex } from 'knex';

// Application service delivery state. A transaction is written (with its body) in the same database
// transaction that moves the service's events position past the events it carries, so after a crash the
// same txn id and body are resent and no event is lost or delivered twice.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('appservice_stream', (t) => {
    t.string('as_id', 255).primary();
    // Highest events stream ordering already put into a transaction (or skipped as uninteresting).
    t.bigInteger('events_position').notNullable();
    // Last txn id handed out; ids are per service and only grow.
    t.bigInteger('last_txn_id').notNullable().defaultTo(0);
  });
  await knex.schema.createTable('appservice_txns', (t) => {
    t.string('as_id', 255).notNullable();
    t.bigInteger('txn_id').notNullable();
    t.text('body').notNullable();
    t.integer('event_count').notNullable();
    t.bigInteger('created_ts').notNullable();
    t.primary(['as_id', 'txn_id']);
  });
  // PUT /directory/list/appservice/{networkId}/{roomId}: rooms an appservice publishes per network.
  await knex.schema.createTable('appservice_room_list', (t) => {
    t.string('as_id', 255).notNullable();
    t.string('network_id', 255).notNullable();
    t.string('room_id', 255).notNullable();
    t.primary(['as_id', 'network_id', 'room_id']);
  });
}
