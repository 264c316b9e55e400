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

/** `config`: the real knex's, whose client and SQL options it takes (SQLite's NULL for a missing value). */
export function statementsOnly(config: Pick<Knex.Config, 'client' | 'useNullAsDefault'>): Knex {
  const db = knexFactory({ client: config.client, useNullAsDefault: config.useNullAsDefault });
  // The one way knex gets a connection: no pool here, and no statement ever reaches a server.
  db.client.acquireConnection = () => Promise.reject(new NeedsTransaction());
  return db;
}
