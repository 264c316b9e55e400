import type { Knex } from 'knex';
import * as m0001 from './0001_foundation.js';

export interface MigrationModule {
  up(knex: Knex): Promise<void>;
}

export interface NamedMigration {
  /** Stored in the migrations table; never rename an entry once released. */
  readonly name: string;
  readonly migration: MigrationModule;
}

/**
 * Every migration in the order it runs. Forward-only: append new files here, never edit or
 * reorder applied ones. Listed explicitly (no directory scan) so tsx and compiled dist/ agree.
 */
export const migrations: readonly NamedMigration[] = [{ name: '0001_foundation', migration: m0001 }];
