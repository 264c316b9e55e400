import type { Knex } from 'knex';
import type { Link, LinkStore } from '../types.js';

// Room <-> Slack channel links, one row per room.

type Row = Record<string, unknown>;

function fromRow(r: Row): Link {
  const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    roomId: r.room_id as string,
    webhookUrl: s(r.webhook_url),
    outgoingToken: s(r.outgoing_token),
    teamId: s(r.team_id),
    channelId: s(r.channel_id),
    inboundWebhookId: s(r.inbound_webhook_id),
    source: r.source === 'config' ? 'config' : 'command',
    createdBy: s(r.created_by),
    createdAt: Number(r.created_at),
  };
}

export class KnexLinkStore implements LinkStore {
  constructor(private readonly knex: Knex) {}

  private async one(where: Row): Promise<Link | null> {
    const row: Row | undefined = await this.knex('slack_links').where(where).first();
    return row ? fromRow(row) : null;
  }

  getByRoom(roomId: string): Promise<Link | null> {
    return this.one({ room_id: roomId });
  }

  getByChannel(teamId: string, channelId: string): Promise<Link | null> {
    return this.one({ team_id: teamId, channel_id: channelId });
  }

  getByWebhookId(inboundWebhookId: string): Promise<Link | null> {
    return this.one({ inbound_webhook_id: inboundWebhookId });
  }

  getByOutgoingToken(token: string): Promise<Link | null> {
    return this.one({ outgoing_token: token });
  }

  async put(link: Link): Promise<void> {
    const row = {
      room_id: link.roomId,
      webhook_url: link.webhookUrl,
      outgoing_token: link.outgoingToken,
      team_id: link.teamId,
      channel_id: link.channelId,
      inbound_webhook_id: link.inboundWebhookId,
      source: link.source,
      created_by: link.createdBy,
      created_at: link.createdAt,
    };
    await this.knex('slack_links').insert(row).onConflict('room_id').merge();
  }

  async delete(roomId: string): Promise<boolean> {
    return (await this.knex('slack_links').where({ room_id: roomId }).delete()) > 0;
  }

  async list(): Promise<Link[]> {
    const rows: Row[] = await this.knex('slack_links').orderBy('room_id');
    return rows.map(fromRow);
  }
}
