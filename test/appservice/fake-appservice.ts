import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A minimal application service over plain HTTP for tests: records transactions (deduplicated by txn id, as
// the spec asks services to do) and can be told to fail.

export interface FakeAppservice {
  url: string;
  port: number;
  /** Every PUT seen, including retries: [txnId, body]. */
  puts: Array<{ txnId: string; body: Record<string, unknown>; auth: string | undefined }>;
  /** Events of distinct transactions, in arrival order. */
  events: Array<Record<string, unknown>>;
  /** performance.now() when each event (by id) first arrived, its transaction's body read. */
  arrivedAt: Map<string, number>;
  ephemeral: Array<Record<string, unknown>>;
  /** Answer transactions with this status (200 = accept). */
  status: number;
  pings: Array<Record<string, unknown>>;
  /** Answers GET /users/{userId} and /rooms/{alias} (default 404). */
  onUserQuery: (userId: string) => Promise<number>;
  onAliasQuery: (alias: string) => Promise<number>;
  /** Answers GET /thirdparty/protocol/{protocol} (404 for a protocol not here). */
  protocols: Record<string, Record<string, unknown>>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeAppservice(hsToken: string, port = 0): Promise<FakeAppservice> {
  const seen = new Set<string>();
  const fake: FakeAppservice = { url: '', port: 0, puts: [], events: [], arrivedAt: new Map(), ephemeral: [], status: 200, pings: [], onUserQuery: async () => 404, onAliasQuery: async () => 404, protocols: {}, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const auth = req.headers.authorization;
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (auth !== `Bearer ${hsToken}`) return reply(403, { errcode: 'M_FORBIDDEN', error: 'bad hs_token' });
      const url = new URL(req.url ?? '/', 'http://x');
      const txn = /^\/_matrix\/app\/v1\/transactions\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'PUT' && txn?.[1]) {
        const body = JSON.parse(text) as Record<string, unknown>;
        fake.puts.push({ txnId: txn[1], body, auth });
        if (fake.status !== 200) return reply(fake.status, { errcode: 'M_UNKNOWN', error: 'down' });
        if (!seen.has(txn[1])) {
          seen.add(txn[1]);
          const events = (body.events as Array<Record<string, unknown>>) ?? [];
          const now = performance.now();
          for (const e of events) if (typeof e.event_id === 'string' && !fake.arrivedAt.has(e.event_id)) fake.arrivedAt.set(e.event_id, now);
          fake.events.push(...events);
          fake.ephemeral.push(...((body.ephemeral as Array<Record<string, unknown>>) ?? []));
        }
        return reply(200, {});
      }
      if (req.method === 'POST' && url.pathname === '/_matrix/app/v1/ping') {
        fake.pings.push(JSON.parse(text) as Record<string, unknown>);
        return reply(fake.status, {});
      }
      const userQ = /^\/_matrix\/app\/v1\/users\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && userQ?.[1]) return reply(await fake.onUserQuery(decodeURIComponent(userQ[1])), {});
      const aliasQ = /^\/_matrix\/app\/v1\/rooms\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && aliasQ?.[1]) return reply(await fake.onAliasQuery(decodeURIComponent(aliasQ[1])), {});
      const protocolQ = /^\/_matrix\/app\/v1\/thirdparty\/protocol\/([^/]+)$/.exec(url.pathname);
      const protocol = protocolQ?.[1] !== undefined ? fake.protocols[decodeURIComponent(protocolQ[1])] : undefined;
      if (req.method === 'GET' && protocol !== undefined) return reply(200, protocol);
      reply(404, { errcode: 'M_UNRECOGNIZED', error: 'unknown' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

export async function waitFor(cond: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
