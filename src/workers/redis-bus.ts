import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JsonValue } from '../types/json.js';
import type { Bus, BusHandler, Unsubscribe } from './bus.js';
import { BusClosedError, assertChannel, encodeMessage } from './bus.js';
import { deliver } from './deliver.js';

export interface RedisBusOptions {
  host: string;
  port: number;
  password: string | null;
  dbid: number;
  /**
   * Prepended to every channel. Redis pub/sub ignores the database number, so servers (or test
   * runs) sharing one Redis are kept apart only by this prefix.
   */
  channelPrefix: string;
  logger: Logger;
  connectTimeoutMs?: number;
}

interface ChannelState {
  readonly handlers: Set<BusHandler>;
  /** Settles when Redis has acknowledged SUBSCRIBE for this channel. */
  readonly ready: Promise<void>;
}

/**
 * Redis pub/sub. A connection in subscriber mode can issue no other commands, so publishing
 * uses a second connection. ioredis re-subscribes by itself after a reconnect; messages sent
 * while disconnected are lost, which the at-most-once contract allows.
 */
export class RedisBus implements Bus {
  readonly transport = 'redis' as const;
  private readonly channels = new Map<string, ChannelState>();
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    subscriber.on('message', (fullChannel: string, payload: string) => this.onMessage(fullChannel, payload));
  }

  /** Connects both connections, failing fast when Redis cannot be reached. */
  static async connect(options: RedisBusOptions): Promise<RedisBus> {
    const logger = options.logger.child({ component: 'bus', transport: 'redis' });
    const make = (role: string) => {
      const client = new Redis({
        host: options.host,
        port: options.port,
        db: options.dbid,
        lazyConnect: true,
        connectTimeout: options.connectTimeoutMs ?? 10_000,
        connectionName: `hearth-bus-${role}`,
        ...(options.password !== null ? { password: options.password } : {}),
      });
      // Without a listener ioredis prints unhandled errors itself; route them to our log.
      client.on('error', (err: unknown) => logger.warn({ err, role }, 'redis bus connection error'));
      return client;
    };
    const publisher = make('pub');
    const subscriber = make('sub');
    try {
      await Promise.all([publisher.connect(), subscriber.connect()]);
    } catch (err) {
      publisher.disconnect();
      subscriber.disconnect();
      throw err;
    }
    logger.debug({ host: options.host, port: options.port, prefix: options.channelPrefix }, 'redis bus connected');
    return new RedisBus(publisher, subscriber, options.channelPrefix, logger);
  }

  async publish(channel: string, message: JsonValue): Promise<void> {
    if (this.closing !== null) throw new BusClosedError();
    assertChannel(channel);
    await this.publisher.publish(this.prefix + channel, encodeMessage(message));
  }

  async subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe> {
    if (this.closing !== null) throw new BusClosedError();
    assertChannel(channel);
    let state = this.channels.get(channel);
    if (state === undefined) {
      // Commands on one connection run in order, so a SUBSCRIBE issued after an earlier
      // UNSUBSCRIBE of the same channel also takes effect after it.
      const ready = this.subscriber.subscribe(this.prefix + channel).then(() => undefined);
      state = { handlers: new Set(), ready };
      this.channels.set(channel, state);
      ready.catch(() => {
        if (this.channels.get(channel) === state) this.channels.delete(channel);
      });
    }
    // The same function may be subscribed twice; each subscription needs its own identity.
    const entry: BusHandler = (message, ch) => handler(message, ch);
    state.handlers.add(entry);
    const owner = state;
    try {
      await owner.ready;
    } catch (err) {
      owner.handlers.delete(entry);
      throw err;
    }
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      owner.handlers.delete(entry);
      if (owner.handlers.size === 0 && this.channels.get(channel) === owner && this.closing === null) {
        this.channels.delete(channel);
        await this.subscriber.unsubscribe(this.prefix + channel);
      }
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.channels.clear();
      const results = await Promise.allSettled([this.subscriber.quit(), this.publisher.quit()]);
      for (const r of results) if (r.status === 'rejected') this.logger.debug({ err: r.reason }, 'redis quit failed');
      this.subscriber.disconnect();
      this.publisher.disconnect();
    })();
    return this.closing;
  }

  private onMessage(fullChannel: string, payload: string): void {
    if (!fullChannel.startsWith(this.prefix)) return;
    const channel = fullChannel.slice(this.prefix.length);
    const state = this.channels.get(channel);
    if (state === undefined) return;
    for (const handler of [...state.handlers]) deliver(handler, channel, payload, this.logger);
  }
}
