import type { Logger } from 'pino';
import type { BusHandler } from './bus.js';
import { decodeMessage } from './bus.js';

/** Runs one handler on its own copy of the message, logging (not propagating) its failure. */
export function deliver(handler: BusHandler, channel: string, payload: string, logger: Logger): void {
  const fail = (err: unknown) => logger.error({ err, channel }, 'bus handler failed');
  try {
    const result = handler(decodeMessage(payload), channel);
    if (result !== undefined) result.catch(fail);
  } catch (err) {
    fail(err);
  }
}
