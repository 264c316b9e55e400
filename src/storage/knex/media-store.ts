import type { Knex } from 'knex';
import type { MediaStore } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';

export class KnexMediaStore implements MediaStore {
  constructor(
    readonly knex: Knex,
    readonly dialect: Dialect,
  ) {}
}
