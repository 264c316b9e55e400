import type { Knex } from 'knex';
import type { RoomStore } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';

// Placeholder until the room store lands (owned by the rooms work).
export class KnexRoomStore {
  constructor(
    readonly knex: Knex,
    readonly dialect: Dialect,
  ) {}
}
export type _RoomStoreContract = RoomStore;
