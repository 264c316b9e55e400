import type { WeakEvent } from 'matrix-appservice-bridge';
import type { BridgeLogger } from '../../../_shared/src/index.js';
import type { PostOutcome, SlackWebhookPayload } from '../slack/post.js';
import type { KnexOutbox } from '../store/outbox.js';
import type { LinkStore } from '../types.js';

// Drains the outbox to Slack: one worker per room so a room waiting out a 429 does not hold up the others, and
// posts within a room keep their Matrix order. A retryable failure (429, 5xx, network) waits Retry-After or an
// exponential backoff, both capped, and gives up after max_retries; the wait is stored so a restart honours it.

export interface DeliveryDeps {
  outbox: KnexOutbox;
  links: LinkStore;
  render(event: WeakEvent): Promise<SlackWebhookPayload | null>;
  post(url: string, payload: SlackWebhookPayload): Promise<PostOutcome>;
  logger: BridgeLogger;
  maxRetries: number;
  maxRetryDelayMs: number;
}

const BASE_BACKOFF_MS = 1000;

export class SlackDelivery {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(private readonly deps: DeliveryDeps) {}

  /** Makes sure every room with queued events has a worker. */
  async kickAll(): Promise<void> {
    for (const roomId of await this.deps.outbox.rooms()) this.kick(roomId);
  }

  kick(roomId: string): void {
    if (this.stopped) return;
    if (this.running.has(roomId)) {
      this.again.add(roomId);
      return;
    }
    const run = this.drain(roomId)
      .catch((err: unknown) => this.deps.logger.error({ err, roomId }, 'Slack delivery worker failed'))
      .finally(() => {
        this.running.delete(roomId);
        // Events queued while the worker was finishing.
        if (this.again.delete(roomId)) this.kick(roomId);
      });
    this.running.set(roomId, run);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  private async drain(roomId: string): Promise<void> {
    const { outbox, links, logger } = this.deps;
    for (;;) {
      if (this.stopped) return;
      this.again.delete(roomId);
      const entry = await outbox.next(roomId);
      if (!entry) return;
      const wait = entry.nextAttemptAt - Date.now();
      if (wait > 0) {
        await this.sleep(Math.min(wait, this.deps.maxRetryDelayMs));
        continue;
      }
      const link = await links.getByRoom(roomId);
      if (!link?.webhookUrl) {
        // Unlinked since the event arrived.
        await outbox.remove(entry.id);
        continue;
      }
      let outcome: PostOutcome;
      try {
        const payload = await this.deps.render(entry.event);
        if (!payload) {
          await outbox.remove(entry.id);
          continue;
        }
        outcome = await this.deps.post(link.webhookUrl, payload);
      } catch (err) {
        // Reading the sender's profile or the replied-to event from the homeserver failed: worth another try.
        outcome = { kind: 'retry', retryAfterMs: null, reason: (err as Error).message };
      }
      if (outcome.kind === 'ok') {
        await outbox.remove(entry.id);
        logger.debug({ roomId, eventId: entry.event.event_id }, 'posted to Slack');
      } else if (outcome.kind === 'fail' || entry.attempts >= this.deps.maxRetries) {
        await outbox.remove(entry.id);
        logger.warn({ roomId, eventId: entry.event.event_id, attempts: entry.attempts + 1, reason: outcome.reason }, 'gave up posting to Slack');
      } else {
        const backoff = BASE_BACKOFF_MS * 2 ** entry.attempts;
        const delay = Math.min(outcome.retryAfterMs ?? backoff, this.deps.maxRetryDelayMs);
        await outbox.retryLater(entry.id, entry.attempts + 1, Date.now() + delay);
        logger.info({ roomId, eventId: entry.event.event_id, delayMs: delay, reason: outcome.reason }, 'Slack post will be retried');
      }
    }
  }
}
