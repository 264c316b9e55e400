import type { Router } from '@koa/router';
import type { Knex } from 'knex';
import type { Bridge } from 'matrix-appservice-bridge';
import type { BridgeLogger } from '../../_shared/src/index.js';
import type { SlackBridgeConfig } from './config.js';

// The contract between the bridge's halves: what the Matrix -> Slack side (bridge.ts, matrix/, commands/) and the
// Slack -> Matrix side (slack-inbound/) share. slack-inbound plugs in through two functions it owns:
//   src/slack-inbound/routes.ts   registerSlackInboundRoutes(router, ctx)  -- HTTP routes on the public server
//   src/slack-inbound/commands.ts registerSlackInboundCommands(commands, ctx) -- extra `!slack ...` commands

/** One Matrix room's link to a Slack channel. One row per room. */
export interface Link {
  roomId: string;
  /** Slack incoming-webhook URL: Matrix messages are posted here. Null: nothing goes to Slack. */
  webhookUrl: string | null;
  /** Token Slack's outgoing webhook sends for this channel. */
  outgoingToken: string | null;
  /** Slack team and channel ids when known (Events API routing). */
  teamId: string | null;
  channelId: string | null;
  /** Id of the generic inbound webhook (`!slack webhook new`): POST <public url>/webhooks/<id>. */
  inboundWebhookId: string | null;
  /** 'config': from the config file (re-applied at every start); 'command': from `!slack link`. */
  source: 'config' | 'command';
  /** Matrix user who linked it (null for config links). */
  createdBy: string | null;
  createdAt: number;
}

export interface LinkStore {
  getByRoom(roomId: string): Promise<Link | null>;
  getByChannel(teamId: string, channelId: string): Promise<Link | null>;
  getByWebhookId(inboundWebhookId: string): Promise<Link | null>;
  getByOutgoingToken(token: string): Promise<Link | null>;
  /** Inserts or replaces the room's link (all fields). */
  put(link: Link): Promise<void>;
  /** Removes the room's link; true when there was one. */
  delete(roomId: string): Promise<boolean>;
  list(): Promise<Link[]>;
}

/** A `!slack <name> ...` command said in a room to the bridge bot. */
export interface CommandRequest {
  roomId: string;
  sender: string;
  /** Words after the command name (split on whitespace). */
  args: string[];
  /** The event carrying the command. */
  eventId: string;
}

export interface CommandHandler {
  /** e.g. "link", or "webhook new" (several words: matched as a prefix of the command line). */
  name: string;
  /** One line for `!slack help`. */
  help: string;
  /** Needs the power to change room state (the link commands). */
  requiresStatePower: boolean;
  /** Returns the text the bot answers in the room. Throw a CommandError for a user-facing failure. */
  run(req: CommandRequest): Promise<string>;
}

export class CommandError extends Error {
  override name = 'CommandError';
}

export interface CommandRegistry {
  register(handler: CommandHandler): void;
}

/** What both halves get: everything the bridge process holds. */
export interface BridgeContext {
  config: SlackBridgeConfig;
  logger: BridgeLogger;
  /** The matrix-appservice-bridge Bridge: getIntent(userId) for ghosts, getBot(), ... */
  bridge: Bridge;
  /** The bridge's database; slack-inbound adds its tables through src/store/migrations.ts. */
  knex: Knex;
  links: LinkStore;
  /** The bridge bot, @<sender_localpart>:<domain>. */
  botUserId: string;
  /** `@slack_<team>_<user>:<domain>` (ids escaped for the user-id grammar). */
  ghostUserId(teamId: string, slackUserId: string): string;
  /** True for users in the bridge's namespace (ghosts and the bot): never bridged back to Slack. */
  isBridgeUser(userId: string): boolean;
  /** Public base URL (no trailing slash) for links given to Slack and to users. */
  publicUrl: string;
}

export type RouteRegistrar = (router: Router, ctx: BridgeContext) => void;
