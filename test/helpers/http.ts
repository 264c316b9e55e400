import { createServer } from 'node:http';
import type Koa from 'koa';
import type { Config, ListenerConfig } from '../../src/config/types.js';
import { generateSigningKey, type SigningKey } from '../../src/crypto/index.js';
import type { HttpDeps } from '../../src/http/deps.js';
import type { Services } from '../../src/http/services.js';
import { startListeners } from '../../src/http/listeners.js';
import { createLogger, type Logger } from '../../src/http/logger.js';

// Builds a complete Config in code (tests do not read homeserver.yaml) and boots real listeners on
// 127.0.0.1 with a random port, so tests speak HTTP to the server exactly as a client would.

export function testListener(names: string[], overrides: Partial<ListenerConfig> = {}): ListenerConfig {
  return {
    port: 0,
    bindAddresses: ['127.0.0.1'],
    type: 'http',
    tls: false,
    tlsCertificatePath: null,
    tlsPrivateKeyPath: null,
    xForwarded: false,
    resources: [{ names, compress: false }],
    ...overrides,
  };
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  const config: Config = {
    configPath: null,
    serverName: 'test.example.org',
    publicBaseUrl: 'https://matrix.test.example.org/',
    listeners: [testListener(['client', 'federation'])],
    database: { engine: 'sqlite', path: ':memory:' },
    signingKeyPath: '/nonexistent/test.signing.key',
    oldSigningKeys: {},
    keyRefreshIntervalMs: 24 * 60 * 60 * 1000,
    registrationSharedSecret: null,
    enableRegistration: false,
    registrationRequiresToken: false,
    appServiceConfigFiles: [],
    redis: { enabled: false, host: '127.0.0.1', port: 6379, password: null, dbid: 0 },
    mediaStorePath: '/nonexistent/media_store',
    maxUploadSize: 50 * 1024 * 1024,
    maxRequestBodySize: 64 * 1024,
    oidcProviders: [],
    federationDomainWhitelist: null,
    ipRangeBlacklist: [],
    ipRangeWhitelist: [],
    trustedKeyServers: [],
    rateLimits: {},
    defaultRoomVersion: '12',
    serveServerWellknown: false,
    clientWellKnown: null,
    logLevel: 'info',
    allowQueryStringAccessTokens: false,
    federationTestOverrides: {},
    federationVerifyCertificates: true,
    ...overrides,
  };
  return config;
}

/**
 * Services for tests of the HTTP shell alone: any use throws, so a shell test that reaches a feature
 * service fails loudly instead of passing by accident.
 */
export function shellOnlyServices(): Services {
  return new Proxy({} as Services, {
    get(_t, prop) {
      throw new Error(`the HTTP shell test used services.${String(prop)}; start a full server (test/helpers/server.ts)`);
    },
  });
}

export interface HttpTestServer {
  baseUrl: string;
  deps: HttpDeps;
  close(): Promise<void>;
}

export interface HttpTestServerOptions {
  config?: Partial<Config>;
  resources?: string[];
  signingKeys?: SigningKey[];
  logger?: Logger;
  now?: () => number;
}

/**
 * Starts the HTTP shell alone (no storage) with one listener on a random local port. For the full server
 * (storage, migrations) use startTestServer in ./server.ts.
 */
export async function startHttpServer(opts: HttpTestServerOptions = {}): Promise<HttpTestServer> {
  const listener = testListener(opts.resources ?? ['client', 'federation']);
  const config = testConfig({ listeners: [listener], ...opts.config });
  const deps: HttpDeps = {
    config,
    logger: opts.logger ?? createLogger('silent'),
    signingKeys: opts.signingKeys ?? [generateSigningKey('test')],
    services: shellOnlyServices(),
    ...(opts.now ? { now: opts.now } : {}),
  };
  const running = await startListeners(deps, [listener], { closeGraceMs: 100 });
  const addr = running.addresses[0];
  if (!addr) throw new Error('listener reported no address');
  return { baseUrl: `http://127.0.0.1:${addr.port}`, deps, close: running.close };
}

/** Serves an already built koa app on 127.0.0.1 with a random port (for tests that add routes). */
export async function serveApp(app: Koa): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return {
    baseUrl: `http://127.0.0.1:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port free on 127.0.0.1 right now, for processes that must be told their port before they listen. */
export async function freePort(): Promise<number> {
  // Below Linux's ephemeral range (32768-60999): a port the kernel hands out for listen(0) is one it also hands
  // out as the local port of outgoing connections, and between our check and the caller's listen, another
  // test's HTTP client took one (EADDRINUSE in a full run). Here only another test picking the same random
  // port in that window can collide.
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const srv = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      return port;
    }
    if (attempt >= 50) throw new Error('no free port below the ephemeral range');
  }
}
