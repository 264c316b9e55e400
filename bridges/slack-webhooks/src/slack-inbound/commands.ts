import { randomBytes } from 'node:crypto';
import { CommandError, type BridgeContext, type CommandRegistry } from '../types.js';

// `!slack webhook new | list | revoke`: the room's generic inbound webhook. Its URL's random id is the only
// credential (as with Slack's own incoming webhooks), so it is long and `new` replaces the old one.

function webhookUrl(ctx: BridgeContext, id: string): string {
  return `${ctx.publicUrl}/webhooks/${id}`;
}

export function registerSlackInboundCommands(commands: CommandRegistry, ctx: BridgeContext): void {
  commands.register({
    name: 'webhook new',
    help: 'create (or replace) this room’s inbound webhook URL: POST Slack-style JSON ({"text": ...}) to it',
    requiresStatePower: true,
    async run({ roomId, sender }) {
      const id = randomBytes(24).toString('base64url');
      const existing = await ctx.links.getByRoom(roomId);
      await ctx.links.put({
        roomId,
        webhookUrl: existing?.webhookUrl ?? null,
        outgoingToken: existing?.outgoingToken ?? null,
        teamId: existing?.teamId ?? null,
        channelId: existing?.channelId ?? null,
        inboundWebhookId: id,
        source: existing?.source ?? 'command',
        createdBy: existing?.createdBy ?? sender,
        createdAt: existing?.createdAt ?? Date.now(),
      });
      const replaced = existing?.inboundWebhookId ? ' The previous URL no longer works.' : '';
      return `Inbound webhook for this room: ${webhookUrl(ctx, id)}\nPOST JSON such as {"text": "hello", "username": "CI"} to it.${replaced}`;
    },
  });
  commands.register({
    name: 'channel',
    help: '<team id> <channel id>: take this Slack channel’s Events API messages into this room',
    requiresStatePower: true,
    async run({ roomId, sender, args }) {
      const [teamId, channelId] = args;
      if (!teamId || !channelId || !/^T[A-Z0-9]+$/.test(teamId) || !/^[CG][A-Z0-9]+$/.test(channelId)) {
        throw new CommandError('Usage: !slack channel <team id, e.g. T0123ABC> <channel id, e.g. C0123ABC>');
      }
      const taken = await ctx.links.getByChannel(teamId, channelId);
      if (taken && taken.roomId !== roomId) throw new CommandError('That Slack channel is already bridged to another room.');
      const existing = await ctx.links.getByRoom(roomId);
      await ctx.links.put({
        roomId,
        webhookUrl: existing?.webhookUrl ?? null,
        outgoingToken: existing?.outgoingToken ?? null,
        teamId,
        channelId,
        inboundWebhookId: existing?.inboundWebhookId ?? null,
        source: existing?.source ?? 'command',
        createdBy: existing?.createdBy ?? sender,
        createdAt: existing?.createdAt ?? Date.now(),
      });
      return `Messages of Slack channel ${channelId} (team ${teamId}) sent to the Events API now come into this room.`;
    },
  });
  commands.register({
    name: 'webhook list',
    help: 'show this room’s inbound webhook URL',
    requiresStatePower: true,
    async run({ roomId }) {
      const link = await ctx.links.getByRoom(roomId);
      if (!link?.inboundWebhookId) return 'This room has no inbound webhook. Create one with "!slack webhook new".';
      return `Inbound webhook for this room: ${webhookUrl(ctx, link.inboundWebhookId)}`;
    },
  });
  commands.register({
    name: 'webhook revoke',
    help: 'stop accepting posts on this room’s inbound webhook URL',
    requiresStatePower: true,
    async run({ roomId }) {
      const link = await ctx.links.getByRoom(roomId);
      if (!link?.inboundWebhookId) throw new CommandError('This room has no inbound webhook to revoke.');
      if (link.webhookUrl === null && link.outgoingToken === null && link.channelId === null && link.source === 'command') {
        await ctx.links.delete(roomId);
      } else {
        await ctx.links.put({ ...link, inboundWebhookId: null });
      }
      return 'The inbound webhook is revoked.';
    },
  });
}
