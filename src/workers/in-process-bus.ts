import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { JsonValue } from '../types/json.js';
import type { Bus, BusHandler, Unsubscribe } from './bus.js';
import { BusClosedError, assertChannel, encodeMessage } from './bus.js';
import { deliver } from './deliver.js';

/** The bus of a single-process server: an EventEmitter, with delivery deferred like Redis's. */
export class InProcessBus implements Bus {
  readonly transport = 'in-process' as const;
  private readonly emitter = new EventEmitter();
  private closed = false;

  constructor(private readonly logger: Logger) {
    // Every stream, cache and queue may subscribe; the default 10-listener warning does not fit.
    this.emitter.setMaxListeners(0);
  }

  publish(channel: string, message: JsonValue): Promise<void> {
    try {
      if (this.closed) throw new BusClosedError();
      assertChannel(channel);
      const payload = encodeMessage(message);
      // setImmediate keeps publish order (FIFO) and never runs a handler inside publish.
      setImmediate(() => {
        if (!this.closed) this.emitter.emit(channel, payload);
      });
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe> {
    if (this.closed) return Promise.reject(new BusClosedError());
    try {
      assertChannel(channel);
    } catch (err) {
      return Promise.reject(err);
    }
    const listener = (payload: string) => deliver(handler, channel, payload, this.logger);
    this.emitter.on(channel, listener);
    return Promise.resolve(async () => {
      this.emitter.off(channel, listener);
    });
  }

  close(): Promise<void> {
    this.closed = true;
    this.emitter.removeAllListeners();
    return Promise.resolve();
  }
}
