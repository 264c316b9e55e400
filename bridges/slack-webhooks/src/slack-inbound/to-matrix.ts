import type { BridgeContext } from '../types.js';
import { mrkdwnToMatrix } from './mrkdwn.js';

// Posting one Slack message into a linked Matrix room as a ghost: the ghost is created (the Intent registers it
// and has the bot invite it into private rooms) and named once per display name (cached, so a busy channel does not
// set the same profile on every message); mrkdwn becomes org.matrix.custom.html. Seen Slack message keys are kept
// in slack_inbound_seen so Slack's retries of a callback we already posted are not posted twice.

export interface InboundMessage {
  roomId: string;
  /** Matrix user to post as (a ghost, or the bot). */
  senderId: string;
  /** Name for the ghost; null keeps its current profile. */
  displayName: string | null;
  /** Slack mrkdwn. */
  text: string;
  /** Team whose user mentions (<@U...>) are linked to ghosts; null: mentions are shown by id. */
  teamId: string | null;
  /** Unique key of the Slack message (e.g. `event:<event_id>`), null when the source gives none. */
  dedupeKey: string | null;
}

export class MatrixPoster {
  private readonly names = new Map<string, string>();

  constructor(private readonly ctx: BridgeContext) {}

  /** Remembers a Slack user's name for mentions and for their ghost's profile. */
  rememberName(userId: string, name: string): void {
    this.names.set(userId, name);
  }

  /** Posts the message; returns the event id, or null when this dedupe key was already posted. */
  async post(msg: InboundMessage): Promise<string | null> {
    const { ctx } = this;
    if (msg.dedupeKey && (await ctx.knex('slack_inbound_seen').where({ key: msg.dedupeKey }).first())) return null;
    const intent = ctx.bridge.getIntent(msg.senderId);
    if (msg.displayName && this.names.get(`profile:${msg.senderId}`) !== msg.displayName) {
      await intent.ensureProfile(msg.displayName);
      this.names.set(`profile:${msg.senderId}`, msg.displayName);
    }
    const teamId = msg.teamId;
    const converted = mrkdwnToMatrix(msg.text, {
      user: (slackUserId) => {
        if (teamId === null) return undefined;
        return { name: this.names.get(`${teamId}:${slackUserId}`) ?? slackUserId, userId: ctx.ghostUserId(teamId, slackUserId) };
      },
    });
    const content: Record<string, unknown> = { msgtype: 'm.text', body: converted.body };
    if (converted.formatted) {
      content.format = 'org.matrix.custom.html';
      content.formatted_body = converted.html;
    }
    const { event_id } = await intent.sendMessage(msg.roomId, content);
    if (msg.dedupeKey) {
      await ctx.knex('slack_inbound_seen').insert({ key: msg.dedupeKey, event_id, created_at: Date.now() }).onConflict('key').ignore();
    }
    return event_id;
  }

}
