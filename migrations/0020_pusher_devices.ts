import type { Knex } from 'knex';

// Pushers belong to the device that set them: when the device goes (logout, device deletion, password
// change with logout, deactivation) its pushers go too, as Synapse does, so a phone that logged out stops
// getting notifications. Existing pushers learn their device from the access token that set them.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('pushers', (t) => {
    t.string('device_id', 255).nullable();
    t.index(['user_id', 'device_id']);
  });
  await knex('pushers')
    .whereNotNull('access_token_id')
    .update({
      device_id: knex('access_tokens').select('device_id').where('access_tokens.id', knex.ref('pushers.access_token_id')),
    });
}
