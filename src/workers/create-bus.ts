import type { Logger } from 'pino';
import type { RedisConfig } from '../config/types.js';
import type { Bus } from './bus.js';
import { InProcessBus } from './in-process-bus.js';
import { RedisBus } from './redis-bus.js';

export interface BusOptions {
  redis: RedisConfig;
  /** Namespaces channels on a shared Redis, e.g. `${serverName}:`. Ignored in process. */
  channelPrefix: string;
}

/** Redis when `redis.enabled` (several worker processes), otherwise in process. */
export async function createBus(options: BusOptions, logger: Logger): Promise<Bus> {
  if (!options.redis.enabled) return new InProcessBus(logger.child({ component: 'bus', transport: 'in-process' }));
  return RedisBus.connect({
    host: options.redis.host,
    port: options.redis.port,
    password: options.redis.password,
    dbid: options.redis.dbid,
    channelPrefix: options.channelPrefix,
    logger,
  });
}
