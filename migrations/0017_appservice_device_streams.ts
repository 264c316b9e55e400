import type { Knex } from 'knex';

// Per application service, how far the to-device (MSC2409/MSC4203) and device-list (MSC3202) streams have been
// put into transactions. Moved in the same database transaction as the transaction that carries them, like
// events_position, so a crash neither loses nor repeats a to-device message. Null until the service first
// runs with those extensions on: it then starts at the present.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('appservice_stream', (t) => {
    t.bigInteger('to_device_position').nullable();
    t.bigInteger('device_lists_position').nullable();
  });
}
