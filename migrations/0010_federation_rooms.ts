import type { Knex } from 'knex';

// Inbound federation transactions (server-server API, PUT /send/{txnId}): the answer given to each
// (origin, txn_id), so a retried transaction is answered again without processing its PDUs twice.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('federation_inbound_txns', (t) => {
    t.string('origin', 255).notNullable();
    t.string('txn_id', 255).notNullable();
    t.text('response_json').notNullable();
    t.bigInteger('received_ts').notNullable();
    t.primary(['origin', 'txn_id']);
  });
}
