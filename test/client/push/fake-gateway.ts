import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A push gateway for tests: records every POST /_matrix/push/v1/notify body and answers with what the
// test queued (default: 200 {"rejected": []}).

export interface GatewayReply {
  status: number;
  body: unknown;
}

export interface FakeGateway {
  url: string;
  received: Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Replies used in order for the next requests; afterwards 200 {rejected: []}. */
  replies: GatewayReply[];
  /** Resolves when at least n notifications arrived (rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** `host`: the loopback address to listen on (IPv4 or IPv6). */
export async function startFakeGateway(host = '127.0.0.1'): Promise<FakeGateway> {
  const received: FakeGateway['received'] = [];
  const replies: GatewayReply[] = [];
  const waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/_matrix/push/v1/notify') {
        res.writeHead(404).end();
        return;
      }
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const reply = replies.shift() ?? { status: 200, body: { rejected: [] } };
      res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body));
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/_matrix/push/v1/notify`,
    received,
    replies,
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`gateway got ${received.length} notifications, wanted ${n}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
