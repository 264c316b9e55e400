import type { Knex } from 'knex';
import type { WeakEvent } from 'matrix-appservice-bridge';

// The queue of Matrix events waiting to be posted to Slack, in arrival order per room.

export interface OutboxEntry {
  id: number;
  event: WeakEvent;
  attempts: number;
  nextAttemptAt: number;
}

export class KnexOutbox {
  constructor(private readonly knex: Knex) {}

  /** Adds events; an event already queued (a retried transaction) is ignored. */
  async add(events: readonly WeakEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = Date.now();
    await this.knex('slack_outbox')
      .insert(events.map((e) => ({ event_id: e.event_id, room_id: e.room_id, event_json: JSON.stringify(e), created_at: now })))
      .onConflict('event_id')
      .ignore();
  }

  async next(roomId: string): Promise<OutboxEntry | null> {
    const row: Record<string, unknown> | undefined = await this.knex('slack_outbox').where({ room_id: roomId }).orderBy('id').first();
    if (!row) return null;
    return { id: Number(row.id), event: JSON.parse(String(row.event_json)) as WeakEvent, attempts: Number(row.attempts), nextAttemptAt: Number(row.next_attempt_at) };
  }

  async rooms(): Promise<string[]> {
    const rows: Array<{ room_id: string }> = await this.knex('slack_outbox').distinct('room_id');
    return rows.map((r) => r.room_id);
  }

  async pendingCount(roomId: string): Promise<number> {
    const row: Record<string, unknown> | undefined = await this.knex('slack_outbox').where({ room_id: roomId }).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async remove(id: number): Promise<void> {
    await this.knex('slack_outbox').where({ id }).delete();
  }

  async retryLater(id: number, attempts: number, nextAttemptAt: number): Promise<void> {
    await this.knex('slack_outbox').where({ id }).update({ attempts, next_attempt_at: nextAttemptAt });
  }
}
