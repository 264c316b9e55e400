import { validateWebhookUrl } from '../slack/post.js';
import type { KnexOutbox } from '../store/outbox.js';
import { CommandError, type BridgeContext, type CommandRegistry, type Link } from '../types.js';

// `!slack link <incoming webhook URL> [outgoing token]`, `!slack unlink`, `!slack status`.
// Linking and unlinking need the power to change room state (checked by the router); status is for anyone.
// Answers never repeat the webhook URL: it is a secret that lets anyone post into the Slack channel.

function describeTarget(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

export function registerLinkCommands(commands: CommandRegistry, ctx: BridgeContext, outbox: KnexOutbox): void {
  const allowPrivate = ctx.config.slack.allow_private_webhook_targets;

  commands.register({
    name: 'link',
    help: 'link <incoming webhook URL> [outgoing token]: post this room\'s messages to a Slack channel',
    requiresStatePower: true,
    async run({ roomId, sender, args }) {
      const [url, token, ...extra] = args;
      if (!url || extra.length > 0) throw new CommandError('Usage: !slack link <incoming webhook URL> [outgoing webhook token]');
      try {
        validateWebhookUrl(url, allowPrivate);
      } catch (err) {
        throw new CommandError(`That webhook URL cannot be used: ${(err as Error).message}.`);
      }
      const existing = await ctx.links.getByRoom(roomId);
      if (existing?.source === 'config') throw new CommandError('This room is linked in the bridge\'s config file; change it there.');
      const link: Link = {
        roomId,
        webhookUrl: url,
        outgoingToken: token ?? null,
        teamId: existing?.teamId ?? null,
        channelId: existing?.channelId ?? null,
        inboundWebhookId: existing?.inboundWebhookId ?? null,
        source: 'command',
        createdBy: sender,
        createdAt: Date.now(),
      };
      await ctx.links.put(link);
      return `Linked: messages in this room now go to Slack through the incoming webhook at ${describeTarget(url)}${token ? ', and Slack posts carrying that outgoing-webhook token come here' : ''}. The webhook URL is a secret: consider redacting your command.`;
    },
  });

  commands.register({
    name: 'unlink',
    help: 'stop bridging this room to Slack',
    requiresStatePower: true,
    async run({ roomId }) {
      const existing = await ctx.links.getByRoom(roomId);
      if (!existing || (!existing.webhookUrl && !existing.outgoingToken)) throw new CommandError('This room is not linked to Slack.');
      if (existing.source === 'config') throw new CommandError('This room is linked in the bridge\'s config file; remove it there.');
      // A generic inbound webhook (`!slack webhook new`) is separate from the Slack link and stays.
      if (existing.inboundWebhookId) await ctx.links.put({ ...existing, webhookUrl: null, outgoingToken: null, teamId: null, channelId: null });
      else await ctx.links.delete(roomId);
      return 'Unlinked: this room is no longer bridged to Slack.';
    },
  });

  commands.register({
    name: 'status',
    help: 'how this room is bridged',
    requiresStatePower: false,
    async run({ roomId }) {
      const link = await ctx.links.getByRoom(roomId);
      if (!link || (!link.webhookUrl && !link.outgoingToken && !link.inboundWebhookId)) return 'This room is not linked to Slack.';
      const lines: string[] = [];
      if (link.webhookUrl) lines.push(`Matrix -> Slack: incoming webhook at ${describeTarget(link.webhookUrl)}.`);
      if (link.outgoingToken) lines.push('Slack -> Matrix: outgoing-webhook token set.');
      if (link.teamId && link.channelId) lines.push(`Slack channel ${link.channelId} of team ${link.teamId}.`);
      if (link.inboundWebhookId) lines.push('A generic inbound webhook posts into this room.');
      lines.push(link.source === 'config' ? 'Linked in the bridge\'s config file.' : `Linked by ${link.createdBy ?? 'someone'} on ${new Date(link.createdAt).toISOString()}.`);
      const pending = await outbox.pendingCount(roomId);
      if (pending > 0) lines.push(`${pending} message(s) waiting to be posted to Slack.`);
      return lines.join('\n');
    },
  });
}
