import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIPv6, type AddressInfo } from 'node:net';
import type { ListenerConfig } from '../config/types.js';
import { createHttpApp } from './app.js';
import type { HttpDeps } from './deps.js';

// One node server per (listener, bind address). Closing must be prompt so SIGTERM exits quickly:
// stop accepting, drop idle keep-alive sockets at once, and cut busy ones after a short grace.

export interface ListenerAddress {
  host: string;
  port: number;
  tls: boolean;
}

export interface RunningListeners {
  addresses: ListenerAddress[];
  close(): Promise<void>;
}

export interface ListenerOptions {
  /** How long in-flight requests (long polls included) get before their sockets are cut. */
  closeGraceMs?: number;
}

async function createServerFor(deps: HttpDeps, listener: ListenerConfig): Promise<() => HttpServer> {
  const app = createHttpApp(
    deps,
    listener.resources.flatMap((r) => r.names),
    { trustProxy: listener.xForwarded },
  );
  const handler = app.callback();
  if (!listener.tls) return () => createHttpServer(handler);
  if (!listener.tlsCertificatePath || !listener.tlsPrivateKeyPath) {
    throw new Error(`TLS listener on port ${listener.port} needs tls_certificate_path and tls_private_key_path`);
  }
  const [cert, key] = await Promise.all([
    readFile(listener.tlsCertificatePath),
    readFile(listener.tlsPrivateKeyPath),
  ]);
  return () => createHttpsServer({ cert, key }, handler);
}

function listen(server: HttpServer, host: string, port: number, ipv6Only: boolean): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, ipv6Only }, () => {
      server.off('error', onError);
      const addr = server.address();
      if (addr === null || typeof addr === 'string') reject(new Error(`unexpected listen address for ${host}:${port}`));
      else resolve(addr);
    });
  });
}

function closeServer(server: HttpServer, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export async function startListeners(
  deps: HttpDeps,
  listeners: readonly ListenerConfig[],
  opts: ListenerOptions = {},
): Promise<RunningListeners> {
  const graceMs = opts.closeGraceMs ?? 2000;
  const servers: HttpServer[] = [];
  const addresses: ListenerAddress[] = [];
  const closeAll = async () => {
    await Promise.all(servers.map((s) => closeServer(s, graceMs)));
  };
  try {
    for (const listener of listeners) {
      const make = await createServerFor(deps, listener);
      const hasIPv4 = listener.bindAddresses.some((a) => !isIPv6(a));
      for (const host of listener.bindAddresses) {
        const server = make();
        servers.push(server);
        // '::' would also claim IPv4 on dual-stack hosts and collide with an explicit IPv4 bind.
        const addr = await listen(server, host, listener.port, isIPv6(host) && hasIPv4);
        addresses.push({ host: addr.address, port: addr.port, tls: listener.tls });
        deps.logger.info({ host: addr.address, port: addr.port, tls: listener.tls }, 'listening');
      }
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return { addresses, close: closeAll };
}
