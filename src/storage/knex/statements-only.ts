import knexFactory from 'knex';
import type { Knex } from 'knex';

// A knex that builds statements for an engine but runs none: running one fails with NeedsTransaction. The
// room writes first collect a commit against it (knex builds the same SQL whatever connection runs it); if
// they only collected writes, these go out as one statement, atomic on its own, without BEGIN and COMMIT
// (room-write-store.ts). Anything that has to run a statement first (a read, a state event's current-state
// update) fails with NeedsTransaction before any statement was sent, and the commit is done again in a
// transaction.

export class NeedsTransaction extends Error {
  constructor() {
    super('this write needs a transaction');
  }
}

export function statementsOnly(client: string): Knex {
  const db = knexFactory({ client });
  // The one way knex gets a connection: no pool here, and no statement ever reaches a server.
  db.client.acquireConnection = () => Promise.reject(new NeedsTransaction());
  return db;
}
