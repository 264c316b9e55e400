// Redis suites run only when HS_TEST_REDIS holds a URL such as redis://127.0.0.1:6379.
import { randomBytes } from 'node:crypto';
import type { RedisConfig } from '../../src/config/types.js';

export const REDIS_ENV = 'HS_TEST_REDIS';

export function redisTestUrl(): string | null {
  const url = process.env[REDIS_ENV];
  return url !== undefined && url !== '' ? url : null;
}

/** The RedisConfig for HS_TEST_REDIS, or null when it is not set. */
export function redisTestConfig(): RedisConfig | null {
  const raw = redisTestUrl();
  if (raw === null) return null;
  const url = new URL(raw);
  if (url.protocol !== 'redis:') throw new Error(`${REDIS_ENV} must be a redis:// URL, got ${raw}`);
  const db = url.pathname.replace(/^\//, '');
  return {
    enabled: true,
    host: url.hostname,
    port: url.port === '' ? 6379 : Number(url.port),
    password: url.password === '' ? null : decodeURIComponent(url.password),
    dbid: db === '' ? 0 : Number(db),
  };
}

/** For node:test's `skip` option: false when Redis is configured, else the reason. */
export function redisSkipReason(): string | false {
  return redisTestUrl() === null ? `${REDIS_ENV} not set (e.g. redis://127.0.0.1:6379)` : false;
}

/** Redis pub/sub channels are global to the server, so each test run gets its own namespace. */
export function uniqueChannelPrefix(): string {
  return `hs-test:${process.pid}:${randomBytes(6).toString('hex')}:`;
}
