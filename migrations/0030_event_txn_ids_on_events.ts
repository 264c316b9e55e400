import type { Knex } from 'knex';

// The transaction id a local client sent an event with, and its device, are kept on the event's own row
// (events.txn_device_id, events.txn_id), read when the event is served back to that device as
// unsigned.transaction_id; event_txn_ids keeps only what deduplicates a retried send, by its key (user, device,
// transaction id), and loses its index on event_id. That index was the only reader's way in, and a B-tree keyed
// by the random event id: a page written at a random place for every message sent here, ~1.6 of the ~20 pages
// a message in a busy 50-member room wrote into SQLite's WAL (bench/profile-wal-pages.ts; README, the 09:58
// pass of 2026-11-29), and an index insert per message on PostgreSQL. The events row is written anyway.
//
// Existing rows are filled from event_txn_ids (the sender is the transaction's user).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE events ADD COLUMN txn_device_id varchar(255)');
  await knex.raw('ALTER TABLE events ADD COLUMN txn_id varchar(255)');
  await knex.raw(
    `UPDATE events SET txn_device_id = t.device_id, txn_id = t.txn_id
     FROM event_txn_ids AS t WHERE t.event_id = events.event_id AND t.user_id = events.sender`,
  );
  await knex.raw('DROP INDEX ??', ['event_txn_ids_event_id_index']);
}
