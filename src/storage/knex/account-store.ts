import type { Knex } from 'knex';
import type { AccountStore } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';

export class KnexAccountStore implements AccountStore {
  constructor(
    readonly knex: Knex,
    readonly dialect: Dialect,
  ) {}
}
