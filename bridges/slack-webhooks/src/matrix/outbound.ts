import type { WeakEvent } from 'matrix-appservice-bridge';
import { CommandRouter } from '../commands/router.js';
import { postToWebhook } from '../slack/post.js';
import { KnexOutbox } from '../store/outbox.js';
import type { BridgeContext } from '../types.js';
import { SlackDelivery } from './delivery.js';
import { createMediaLinks, type MediaLinks } from './media-links.js';
import { renderForSlack, type RenderDeps } from './to-slack.js';

// Matrix -> Slack: which accepted events are queued for Slack, and the worker that posts them.

export interface MatrixToSlack {
  /** Called with each transaction's events before it is acknowledged: queues the ones bound for Slack. */
  accept(events: WeakEvent[]): Promise<void>;
  delivery: SlackDelivery;
  outbox: KnexOutbox;
  media: MediaLinks;
}

function statusOf(err: unknown): number {
  const e = err as { statusCode?: unknown; body?: { errcode?: unknown } };
  return typeof e.statusCode === 'number' ? e.statusCode : 0;
}

export function createMatrixToSlack(ctx: BridgeContext, asToken: string): MatrixToSlack {
  const outbox = new KnexOutbox(ctx.knex);
  const media = createMediaLinks(ctx.publicUrl, asToken);
  const bot = () => ctx.bridge.getIntent();
  const renderDeps: RenderDeps = {
    media,
    async profile(roomId, userId) {
      const member = (await bot().getStateEvent(roomId, 'm.room.member', userId, true)) as { displayname?: unknown; avatar_url?: unknown } | null;
      let displayname = typeof member?.displayname === 'string' && member.displayname !== '' ? member.displayname : undefined;
      let avatarUrl = typeof member?.avatar_url === 'string' ? member.avatar_url : undefined;
      if (!member) {
        const p = (await bot().matrixClient.getUserProfile(userId).catch(() => ({}))) as { displayname?: unknown; avatar_url?: unknown };
        displayname = typeof p.displayname === 'string' && p.displayname !== '' ? p.displayname : undefined;
        avatarUrl = typeof p.avatar_url === 'string' ? p.avatar_url : undefined;
      }
      return { ...(displayname !== undefined ? { displayname } : {}), ...(avatarUrl !== undefined ? { avatarUrl } : {}) };
    },
    async event(roomId, eventId) {
      try {
        const e = (await bot().getEvent(roomId, eventId)) as { sender?: unknown; content?: unknown };
        return typeof e.sender === 'string' && typeof e.content === 'object' && e.content !== null ? { sender: e.sender, content: e.content as Record<string, unknown> } : null;
      } catch (err) {
        // Not visible to the bot or gone: quote nothing. Anything else (homeserver down) is retried.
        const status = statusOf(err);
        if (status >= 400 && status < 500) return null;
        throw err;
      }
    },
  };
  const delivery = new SlackDelivery({
    outbox,
    links: ctx.links,
    render: (event) => renderForSlack(event, renderDeps),
    post: (url, payload) => postToWebhook(url, payload, { allowPrivateTargets: ctx.config.slack.allow_private_webhook_targets }),
    logger: ctx.logger.child({ component: 'matrix-to-slack' }),
    maxRetries: ctx.config.slack.max_retries,
    maxRetryDelayMs: ctx.config.slack.max_retry_delay_ms,
  });

  async function accept(events: WeakEvent[]): Promise<void> {
    const candidates = events.filter((e) => {
      if ((e.type !== 'm.room.message' && e.type !== 'm.sticker') || e.state_key !== undefined) return false;
      // Loop prevention: the bridge's own bot and ghosts (Slack's side) never go back to Slack.
      if (ctx.isBridgeUser(e.sender)) return false;
      const body = (e.content as { body?: unknown }).body;
      // Commands stay in Matrix (`!slack link` carries the webhook secret).
      return !(typeof body === 'string' && CommandRouter.isCommand(body));
    });
    const queued: WeakEvent[] = [];
    for (const e of candidates) if ((await ctx.links.getByRoom(e.room_id))?.webhookUrl) queued.push(e);
    await outbox.add(queued);
    for (const roomId of new Set(queued.map((e) => e.room_id))) delivery.kick(roomId);
  }

  return { accept, delivery, outbox, media };
}
