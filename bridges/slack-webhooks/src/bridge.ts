import type { Knex } from 'knex';
import { Bridge, Logger as SdkLogger, type AppServiceRegistration, type WeakEvent } from 'matrix-appservice-bridge';
import { ghostUserId, openStore, type BridgeLogger } from '../../_shared/src/index.js';
import type { SlackBridgeConfig } from './config.js';
import { CommandRouter } from './commands/router.js';
import { createPublicServer, type PublicServer } from './http/public-server.js';
import { GHOST_PREFIX } from './registration.js';
import { registerSlackInboundCommands } from './slack-inbound/commands.js';
import { registerSlackInboundRoutes } from './slack-inbound/routes.js';
import { KnexLinkStore } from './store/links.js';
import { migrations } from './store/migrations.js';
import type { BridgeContext, LinkStore } from './types.js';
import { mayChangeState } from './matrix/power.js';
import { createDurableAppService } from './matrix/durable-appservice.js';
import { createMatrixToSlack, type MatrixToSlack } from './matrix/outbound.js';
import { registerMediaRoute } from './http/media-route.js';
import { registerLinkCommands } from './commands/link.js';

// The bridge process: the matrix-appservice-bridge Bridge (application-service listener and intents), the
// store, the command router and the public HTTP server. Matrix events bound for Slack are queued as their
// transaction arrives (matrix/outbound.ts) and posted by the delivery worker; invites and commands go through
// onEvent; Slack's requests arrive on the public server's routes (src/slack-inbound).

export interface SlackBridgeOptions {
  config: SlackBridgeConfig;
  registration: AppServiceRegistration;
  logger: BridgeLogger;
}

export class SlackBridge {
  readonly ctx: BridgeContext;
  readonly commands: CommandRouter;
  private readonly publicServer: PublicServer;
  readonly outbound: MatrixToSlack;
  private appservicePort = 0;
  private stopping = false;
  private publicPort = 0;

  private constructor(
    private readonly opts: SlackBridgeOptions,
    private readonly knex: Knex,
    links: LinkStore,
    private readonly bridge: Bridge,
  ) {
    const { config, registration, logger } = opts;
    const domain = config.homeserver.domain;
    const botUserId = `@${registration.getSenderLocalpart() ?? ''}:${domain}`;
    this.ctx = {
      config,
      logger,
      bridge,
      knex,
      links,
      botUserId,
      publicUrl: config.public.url,
      ghostUserId: (teamId, slackUserId) => ghostUserId(GHOST_PREFIX, domain, teamId.toLowerCase(), slackUserId.toLowerCase()),
      isBridgeUser: (userId) => userId === botUserId || (userId.startsWith(`@${GHOST_PREFIX}`) && userId.endsWith(`:${domain}`)),
    };
    this.commands = new CommandRouter((roomId, userId) => mayChangeState(bridge.getIntent(), roomId, userId));
    this.publicServer = createPublicServer(logger.child({ component: 'public-http' }));
    this.outbound = createMatrixToSlack(this.ctx, registration.getAppServiceToken() ?? '');
  }

  /** Opens the store, applies the config's links and builds the bridge; nothing listens yet. */
  static async create(opts: SlackBridgeOptions): Promise<SlackBridge> {
    const { config, registration, logger } = opts;
    // The SDK's own logging goes to the console; keep it to warnings so our JSON lines stay readable.
    SdkLogger.configure({ console: config.logging.level === 'debug' || config.logging.level === 'trace' ? 'debug' : 'warn', json: true });
    const knex = await openStore({ database: config.database, bridge: 'slack_webhooks', migrations, logger });
    const links = new KnexLinkStore(knex);
    let self: SlackBridge | null = null;
    const bridge = new Bridge({
      homeserverUrl: config.homeserver.url,
      domain: config.homeserver.domain,
      registration,
      disableStores: true,
      disableContext: true,
      controller: {
        onEvent: (request: { getData(): WeakEvent }) => {
          const event = request.getData();
          self?.onEvent(event).catch((err: unknown) => logger.error({ err, eventId: event.event_id }, 'handling a Matrix event failed'));
        },
      },
    });
    self = new SlackBridge(opts, knex, links, bridge);
    await self.applyConfigLinks();
    return self;
  }

  /** Registers the commands and routes, then starts both listeners. Returns the bound ports. */
  async start(): Promise<{ appservicePort: number; publicPort: number }> {
    const { config, logger, registration } = this.opts;
    registerLinkCommands(this.commands, this.ctx, this.outbound.outbox);
    registerSlackInboundCommands(this.commands, this.ctx);
    registerMediaRoute(this.publicServer.router, {
      homeserverUrl: config.homeserver.url,
      asToken: registration.getAppServiceToken() ?? '',
      links: this.outbound.media,
      logger: logger.child({ component: 'media' }),
    });
    registerSlackInboundRoutes(this.publicServer.router, this.ctx);
    await this.bridge.initialise();
    const appService = createDurableAppService(
      registration.getHomeserverToken() ?? '',
      (events) => this.outbound.accept(events),
      (err) => logger.error({ err }, 'storing a transaction failed; the homeserver will retry it'),
    );
    await this.bridge.listen(config.appservice.port, config.appservice.bind_address, 10, appService);
    const asAddress = (this.bridge.appService as unknown as { server?: { address(): { port: number } | string | null } }).server?.address();
    this.appservicePort = typeof asAddress === 'object' && asAddress !== null ? asAddress.port : config.appservice.port;
    this.publicPort = await this.publicServer.listen(config.public.port, config.public.bind_address);
    // Posts queued before a restart.
    await this.outbound.delivery.kickAll();
    this.joinConfigRooms();
    logger.info({ appservicePort: this.appservicePort, publicPort: this.publicPort }, 'slack-webhooks bridge listening');
    return { appservicePort: this.appservicePort, publicPort: this.publicPort };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.publicServer.close();
    await this.bridge.close();
    await this.outbound.delivery.stop();
    await this.knex.destroy();
  }

  /** Config links are written to the store at each start, so the file stays the source of truth for them. */
  private async applyConfigLinks(): Promise<void> {
    for (const l of this.opts.config.links) {
      const existing = await this.ctx.links.getByRoom(l.room_id);
      await this.ctx.links.put({
        roomId: l.room_id,
        webhookUrl: l.webhook_url ?? null,
        outgoingToken: l.outgoing_token ?? null,
        teamId: l.team_id ?? null,
        channelId: l.channel_id ?? null,
        inboundWebhookId: existing?.inboundWebhookId ?? null,
        source: 'config',
        createdBy: null,
        createdAt: existing?.createdAt ?? Date.now(),
      });
    }
  }

  /**
   * The bot must be in a room to receive its events. Rooms linked in the config are joined at start (works for
   * rooms the bot may join: public ones, or ones it was invited to). When the bridge starts with the homeserver
   * (supervised), the homeserver may not answer yet: a few retries with backoff, in the background, then a warning.
   */
  private joinConfigRooms(): void {
    for (const l of this.opts.config.links) {
      void (async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            await this.bridge.getIntent().join(l.room_id);
            return;
          } catch (err) {
            if (this.stopping || attempt >= 5) {
              if (!this.stopping) this.opts.logger.warn({ err, roomId: l.room_id }, 'could not join a room linked in the config; invite the bridge bot');
              return;
            }
            await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt).unref());
          }
        }
      })();
    }
  }

  private async onEvent(event: WeakEvent): Promise<void> {
    // Loop prevention: what the bridge itself (its bot and ghosts) says never goes back out.
    if (this.ctx.isBridgeUser(event.sender)) return;
    if (event.type === 'm.room.member' && event.state_key === this.ctx.botUserId && event.content.membership === 'invite') {
      await this.bridge.getIntent().join(event.room_id);
      return;
    }
    const content = event.content as { msgtype?: unknown; body?: unknown };
    if (event.type === 'm.room.message' && typeof content.body === 'string' && content.msgtype === 'm.text' && CommandRouter.isCommand(content.body)) {
      const reply = await this.commands.dispatch(content.body, { roomId: event.room_id, sender: event.sender, eventId: event.event_id });
      await this.bridge.getIntent().sendMessage(event.room_id, { msgtype: 'm.notice', body: reply });
    }
  }
}
