import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A stand-in for Slack's incoming webhooks on loopback: records every POST and answers with scripted responses
// (default 200 "ok").

export interface ReceivedPost {
  path: string;
  body: Record<string, unknown>;
  at: number;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface FakeSlack {
  url(path: string): string;
  posts: ReceivedPost[];
  /** Every request, including those answered with an error. */
  attempts: ReceivedPost[];
  /** Responses for the next requests, in order. */
  script(...responses: ScriptedResponse[]): void;
  close(): Promise<void>;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const posts: ReceivedPost[] = [];
  const attempts: ReceivedPost[] = [];
  const scripted: ScriptedResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        body = { unparsable: Buffer.concat(chunks).toString('utf8') };
      }
      const entry = { path: req.url ?? '', body, at: Date.now() };
      attempts.push(entry);
      const next = scripted.shift() ?? { status: 200, body: 'ok' };
      if (next.status === 200) posts.push(entry);
      res.writeHead(next.status, { 'Content-Type': 'text/plain', ...next.headers });
      res.end(next.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    posts,
    attempts,
    script: (...r) => scripted.push(...r),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
