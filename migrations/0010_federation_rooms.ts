import type { Knex } from 'knex';

// Reserved slot: filled by the feature that owns these tables in the same change set as its code.
// An empty migration is harmless; it is listed so that migration numbers are stable.
export async function up(_knex: Knex): Promise<void> {}
