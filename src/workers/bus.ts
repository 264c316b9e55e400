import type { JsonValue } from '../types/json.js';

export type BusHandler = (message: JsonValue, channel: string) => void | Promise<void>;

/** Stops one subscription. Calling it again does nothing. */
export type Unsubscribe = () => Promise<void>;

/**
 * Fire-and-forget messages between the parts of the server, in one process or across worker
 * processes. It carries notifications ("stream X advanced to 42", "drop cache entry Y"), never
 * facts of record: anything that must survive a crash is written to the database first and the
 * bus only says where to look.
 *
 * Both transports promise the same things, and the contract tests hold them to it:
 * - delivery is at most once, to subscribers registered when the message arrives;
 * - messages published by one bus on one channel arrive in publish order;
 * - handlers run asynchronously, never inside `publish`; a handler's error is logged and
 *   affects neither other handlers nor later messages;
 * - each handler gets its own decoded copy of the JSON, so mutating it is harmless;
 * - channels are matched exactly (no patterns).
 */
export interface Bus {
  readonly transport: 'in-process' | 'redis';
  /** Rejects when the message is not JSON-serialisable or the bus is closed. */
  publish(channel: string, message: JsonValue): Promise<void>;
  /** Resolves once messages published afterwards are guaranteed to reach `handler`. */
  subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe>;
  close(): Promise<void>;
}

export class BusClosedError extends Error {
  constructor() {
    super('the bus is closed');
    this.name = 'BusClosedError';
  }
}

export function assertChannel(channel: string): void {
  if (channel.length === 0) throw new TypeError('bus channel must not be empty');
}

/** Serialises up front so a bad message fails at publish on both transports alike. */
export function encodeMessage(message: JsonValue): string {
  const payload: unknown = JSON.stringify(message);
  if (typeof payload !== 'string') throw new TypeError('bus message is not JSON-serialisable');
  return payload;
}

export function decodeMessage(payload: string): JsonValue {
  return JSON.parse(payload) as JsonValue;
}
