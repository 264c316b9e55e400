import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FedServer } from './harness.js';

// A test-only network between federating test servers: each server's inbound federation goes through a proxy
// that can drop what some origins send. A dropped /send is answered 200 with no PDU results, as if delivered,
// so the events are really lost to that server (it must fetch them later); other requests from a cut-off
// origin fail at the connection. The origin is read from the X-Matrix header of each request.

export interface SeenRequest {
  origin: string | null;
  method: string;
  path: string;
}

export interface InboundProxy {
  /** Origins whose requests to this server are dropped. */
  readonly blocked: Set<string>;
  /** Every request that reached the proxy (dropped or not). */
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

function originOf(auth: string | undefined): string | null {
  const m = /origin="?([^",]+)"?/.exec(auth ?? '');
  return m?.[1] ?? null;
}

/** Puts a proxy in front of `target` and points the shared overrides map at it. */
export async function proxyInbound(target: FedServer, overrides: Record<string, string>): Promise<InboundProxy> {
  const upstream = new URL(target.server.baseUrl);
  const blocked = new Set<string>();
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const origin = originOf(req.headers.authorization);
      const path = req.url ?? '/';
      seen.push({ origin, method: req.method ?? 'GET', path });
      if (origin !== null && blocked.has(origin)) {
        if (req.method === 'PUT' && path.startsWith('/_matrix/federation/v1/send/')) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"pdus":{}}');
        } else {
          req.socket.destroy();
        }
        return;
      }
      const out = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => req.socket.destroy());
      out.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  overrides[target.name] = `127.0.0.1:${port}`;
  return {
    blocked,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
