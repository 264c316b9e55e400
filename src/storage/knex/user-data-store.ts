import type { Knex } from 'knex';
import type { UserDataStore } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';

export class KnexUserDataStore implements UserDataStore {
  constructor(
    readonly knex: Knex,
    readonly dialect: Dialect,
  ) {}
}
