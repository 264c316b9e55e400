import type { Knex } from 'knex';

// The foundation: consumer positions, the remote server key cache and a record of which server
// this database belongs to. Room and event tables come in later migrations.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('instance_meta', (t) => {
    t.string('meta_key', 64).primary();
    t.text('meta_value').notNullable();
    t.bigInteger('updated_ts').notNullable();
  });

  await knex.schema.createTable('stream_positions', (t) => {
    t.string('stream_name', 128).notNullable();
    t.string('instance_name', 128).notNullable();
    t.bigInteger('stream_position').notNullable();
    t.bigInteger('updated_ts').notNullable();
    t.primary(['stream_name', 'instance_name']);
  });

  await knex.schema.createTable('server_signing_keys', (t) => {
    t.string('server_name', 255).notNullable();
    t.string('key_id', 255).notNullable();
    t.text('verify_key').notNullable();
    t.bigInteger('valid_until_ts').notNullable();
    t.bigInteger('expired_ts').nullable();
    t.string('fetched_from', 255).notNullable();
    t.bigInteger('fetched_at').notNullable();
    t.primary(['server_name', 'key_id']);
  });

  // The signed JSON as the origin produced it, kept so we can act as a notary.
  await knex.schema.createTable('server_key_responses', (t) => {
    t.string('server_name', 255).notNullable();
    t.string('fetched_from', 255).notNullable();
    t.bigInteger('valid_until_ts').notNullable();
    t.bigInteger('fetched_at').notNullable();
    t.text('key_json').notNullable();
    t.primary(['server_name', 'fetched_from']);
  });
}
