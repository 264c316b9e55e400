import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signJson, verifyBytes, type SigningKey } from '../../src/crypto/index.js';
import { parseXMatrixAuthorization, requestSigningBytes } from '../../src/federation/outbound/index.js';

// Shared pieces of the federation tests: key documents, and a fake remote server that checks our
// X-Matrix signatures the way a real receiver must.

export function keyDocument(
  serverName: string,
  keys: readonly SigningKey[],
  validUntilTs: number,
  old: Record<string, { key: string; expired_ts: number }> = {},
  signWith: readonly SigningKey[] = keys,
): Record<string, unknown> {
  let doc: Record<string, unknown> = {
    server_name: serverName,
    verify_keys: Object.fromEntries(keys.map((k) => [k.keyId, { key: k.publicKeyBase64 }])),
    old_verify_keys: old,
    valid_until_ts: validUntilTs,
  };
  for (const k of signWith) doc = signJson(doc, serverName, k);
  return doc;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** The origin whose X-Matrix signature verified, or null. */
  verifiedOrigin: string | null;
}

export interface FakeServer {
  port: number;
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

export type FakeHandler = (req: ReceivedRequest, res: ServerResponse) => void | Promise<void>;

/**
 * An HTTP server standing in for a remote homeserver named `serverName`. `originKeys` are the public keys
 * (key id -> base64) of servers whose signatures it accepts; each request records whether it verified.
 */
export async function startFakeServer(
  serverName: string,
  originKeys: Record<string, Record<string, string>>,
  handler: FakeHandler,
): Promise<FakeServer> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body: unknown = raw === '' ? undefined : JSON.parse(raw);
      let verifiedOrigin: string | null = null;
      const creds = parseXMatrixAuthorization(req.headers.authorization ?? '');
      const pub = creds ? originKeys[creds.origin]?.[creds.key] : undefined;
      if (creds && pub && creds.destination === serverName) {
        const bytes = requestSigningBytes({
          method: req.method ?? '',
          uri: req.url ?? '',
          origin: creds.origin,
          destination: serverName,
          ...(body !== undefined ? { content: body } : {}),
        });
        if (verifyBytes(pub, bytes, creds.sig)) verifiedOrigin = creds.origin;
      }
      const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, verifiedOrigin };
      requests.push(received);
      Promise.resolve(handler(received, res)).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}
