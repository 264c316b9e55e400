import type { WeakEvent } from 'matrix-appservice-bridge';
import { escapeSlackText, plainBodyOf } from '../../../_shared/src/index.js';
import type { SlackWebhookPayload } from '../slack/post.js';
import type { MediaLinks } from './media-links.js';

// A Matrix message as a Slack incoming-webhook post: the sender's room display name and avatar as the post's
// username and icon, the text in mrkdwn; emotes, edits and replies spelled out readably; files as links.

export interface RenderDeps {
  /** The member's display name and avatar in the room (falling back to their profile). */
  profile(roomId: string, userId: string): Promise<{ displayname?: string; avatarUrl?: string }>;
  /** An earlier event of the room, for reply quotes; null when it cannot be read. */
  event(roomId: string, eventId: string): Promise<{ sender: string; content: Record<string, unknown> } | null>;
  media: MediaLinks;
}

type Content = Record<string, unknown>;

const FILE_TYPES = new Set(['m.image', 'm.file', 'm.video', 'm.audio']);
const QUOTE_MAX = 200;
// Slack cuts a message's text at 40,000 characters; cut it ourselves, visibly, below that.
const TEXT_MAX = 39_000;

function relation(content: Content): Record<string, unknown> {
  const r = content['m.relates_to'];
  return typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : {};
}

function fileLink(content: Content, media: MediaLinks): string {
  const body = typeof content.body === 'string' ? content.body : '';
  const filename = typeof content.filename === 'string' ? content.filename : body || 'file';
  const url = typeof content.url === 'string' ? media.url(content.url, filename) : null;
  const link = url ? `<${url}|${escapeSlackText(filename).replace(/\|/g, '¦')}>` : `${escapeSlackText(filename)} (not available)`;
  // A body that differs from the file name is a caption (Matrix 1.10 media captions).
  const caption = typeof content.filename === 'string' && body !== '' && body !== content.filename ? `\n${plainBodyOf(content)}` : '';
  return link + caption;
}

async function quoteOf(roomId: string, eventId: string, deps: RenderDeps): Promise<string> {
  const original = await deps.event(roomId, eventId);
  if (!original) return '';
  const name = (await deps.profile(roomId, original.sender)).displayname ?? original.sender;
  const content = original.content;
  let text = typeof content.msgtype === 'string' && FILE_TYPES.has(content.msgtype) ? escapeSlackText(String(content.filename ?? content.body ?? 'a file')) : plainBodyOf(content);
  if (text.length > QUOTE_MAX) text = `${text.slice(0, QUOTE_MAX)}…`;
  const lines = `*${escapeSlackText(name)}*: ${text}`.split('\n');
  return `${lines.map((l) => `> ${l}`).join('\n')}\n`;
}

/** The post for an m.room.message or m.sticker event; null for what is not bridged. */
export async function renderForSlack(event: WeakEvent, deps: RenderDeps): Promise<SlackWebhookPayload | null> {
  let content = event.content as Content;
  const rel = relation(content);
  let prefix = '';
  if (rel.rel_type === 'm.replace') {
    const replacement = content['m.new_content'];
    if (typeof replacement !== 'object' || replacement === null) return null;
    content = replacement as Content;
    prefix = '(edited) ';
  }
  const profile = await deps.profile(event.room_id, event.sender);
  const name = profile.displayname ?? event.sender;
  let text: string;
  const msgtype = event.type === 'm.sticker' ? 'm.image' : content.msgtype;
  if (msgtype === 'm.text' || msgtype === 'm.notice') text = plainBodyOf(content);
  else if (msgtype === 'm.emote') text = `_${escapeSlackText(name)}_ ${plainBodyOf(content)}`;
  else if (typeof msgtype === 'string' && FILE_TYPES.has(msgtype)) text = fileLink(content, deps.media);
  else if (msgtype === 'm.location') {
    const geo = typeof content.geo_uri === 'string' ? content.geo_uri : '';
    text = `${plainBodyOf(content)}${geo ? ` (${escapeSlackText(geo)})` : ''}`;
  } else if (typeof content.body === 'string' && content.body !== '') text = plainBodyOf(content);
  else return null;
  // A reply (not an edit, not a thread's fallback pointer) starts with a quote of what it answers.
  const inReplyTo = rel['m.in_reply_to'] as { event_id?: unknown } | undefined;
  if (prefix === '' && typeof inReplyTo?.event_id === 'string' && rel.is_falling_back !== true) {
    text = (await quoteOf(event.room_id, inReplyTo.event_id, deps)) + text;
  }
  text = prefix + text;
  if (text.length > TEXT_MAX) text = `${text.slice(0, TEXT_MAX)}… (cut: the message is longer than Slack allows)`;
  const payload: SlackWebhookPayload = { text, username: name, mrkdwn: true };
  const icon = profile.avatarUrl ? deps.media.url(profile.avatarUrl) : null;
  if (icon) payload.icon_url = icon;
  return payload;
}
