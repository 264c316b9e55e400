import type { Context } from 'koa';
import type { BridgeContext, RouteRegistrar } from '../types.js';
import { messageText } from './blocks.js';
import { MatrixPoster } from './to-matrix.js';
import { tokenMatches, verifySlackSignature } from './verify.js';

// Slack -> Matrix HTTP routes on the bridge's public server:
//   POST /slack/events     Events API (JSON, signed with the app's signing secret)
//   POST /slack/outgoing   outgoing webhooks (form-encoded, authenticated by the channel's token)
//   POST /webhooks/:id     generic inbound webhooks (Slack-compatible JSON from any tool; the id is the secret)
// A request is answered 200 only once its message is in the Matrix room, so Slack retries what we did not post.

/** Slack's own payloads are small; a generic webhook gets the same generous cap. */
const MAX_BODY_BYTES = 256 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function rawBody(ctx: Context): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'body must be a JSON object');
  return v as Record<string, unknown>;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export const registerSlackInboundRoutes: RouteRegistrar = (router, bctx) => {
  const poster = new MatrixPoster(bctx);
  const log = bctx.logger.child({ component: 'slack-inbound' });

  const handle = (fn: (ctx: Context) => Promise<void>) => async (ctx: Context) => {
    try {
      await fn(ctx);
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.body = { ok: false, error: err.message };
        return;
      }
      // Usually the homeserver refused (the bot may not invite the ghost, the room is gone): not the sender's fault,
      // and Slack retries a callback that did not get a 2xx.
      log.error({ err, path: ctx.path }, 'posting a Slack message into Matrix failed');
      ctx.status = 502;
      ctx.body = { ok: false, error: 'the message could not be posted into the Matrix room' };
    }
  };

  router.post('/slack/events', handle(async (ctx) => {
    const secret = bctx.config.slack.signing_secret;
    if (!secret) throw new HttpError(404, 'the Events API is not configured (slack.signing_secret)');
    const body = await rawBody(ctx);
    const check = verifySlackSignature({
      signingSecret: secret,
      timestamp: ctx.get('x-slack-request-timestamp') || undefined,
      signature: ctx.get('x-slack-signature') || undefined,
      rawBody: body,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    if (!check.ok) {
      log.warn({ reason: check.reason }, 'refused an Events API request');
      throw new HttpError(401, check.reason);
    }
    const payload = parseJson(body);
    if (payload.type === 'url_verification') {
      ctx.body = { challenge: payload.challenge };
      return;
    }
    ctx.body = { ok: true };
    if (payload.type !== 'event_callback') return;
    const event = (payload.event ?? {}) as Record<string, unknown>;
    const teamId = str(payload.team_id) ?? str(event.team);
    const channel = str(event.channel);
    const user = str(event.user);
    // Only people's plain messages: our own webhook posts come back as bot_message / with a bot_id (loop prevention);
    // edits, deletions and joins are other subtypes.
    if (event.type !== 'message' || event.subtype !== undefined || event.bot_id !== undefined) return;
    if (!teamId || !channel || !user) return;
    const link = await bctx.links.getByChannel(teamId, channel);
    if (!link) return;
    const text = messageText(event);
    if (text === null) return;
    const profile = (event.user_profile ?? {}) as Record<string, unknown>;
    const name = str(profile.display_name) ?? str(profile.real_name) ?? str(profile.name);
    if (name) poster.rememberName(`${teamId}:${user}`, name);
    await poster.post({
      roomId: link.roomId,
      senderId: bctx.ghostUserId(teamId, user),
      displayName: name,
      text,
      teamId,
      dedupeKey: `event:${str(payload.event_id) ?? `${channel}:${str(event.ts) ?? ''}`}`,
    });
  }));

  router.post('/slack/outgoing', handle(async (ctx) => {
    const form = new URLSearchParams((await rawBody(ctx)).toString('utf8'));
    const token = form.get('token');
    const link = token ? await bctx.links.getByOutgoingToken(token) : null;
    if (!link || !link.outgoingToken || !tokenMatches(link.outgoingToken, token)) throw new HttpError(403, 'unknown outgoing-webhook token');
    // An empty JSON object: Slack posts nothing back into the channel.
    ctx.body = {};
    const teamId = form.get('team_id');
    const user = form.get('user_id');
    if (form.get('bot_id') || form.get('bot_name') || user === 'USLACKBOT') return;
    const text = form.get('text');
    if (!teamId || !user || !text) return;
    // The token proved the channel: remember its ids so Events API callbacks for it find the room too.
    const channelId = form.get('channel_id');
    if (channelId && (link.teamId !== teamId || link.channelId !== channelId)) await bctx.links.put({ ...link, teamId, channelId });
    const name = form.get('user_name');
    if (name) poster.rememberName(`${teamId}:${user}`, name);
    await poster.post({
      roomId: link.roomId,
      senderId: bctx.ghostUserId(teamId, user),
      displayName: name,
      text,
      teamId,
      dedupeKey: form.get('timestamp') ? `outgoing:${form.get('channel_id') ?? ''}:${form.get('timestamp') ?? ''}` : null,
    });
  }));

  router.post('/webhooks/:id', handle(async (ctx) => {
    const link = await bctx.links.getByWebhookId(String(ctx.params.id));
    if (!link) throw new HttpError(404, 'no such webhook');
    const payload = parseJson(await rawBody(ctx));
    const text = messageText(payload);
    if (text === null) throw new HttpError(400, 'the payload has no text, blocks or attachments to post');
    const username = str(payload.username)?.slice(0, 64) ?? null;
    await poster.post({
      roomId: link.roomId,
      // One ghost per (webhook, username): two tools posting through one webhook keep their own names.
      senderId: username ? bctx.ghostUserId('webhook', `${link.inboundWebhookId ?? ''}.${username}`) : bctx.botUserId,
      displayName: username,
      text,
      teamId: null,
      dedupeKey: null,
    });
    ctx.body = { ok: true };
  }));
};
