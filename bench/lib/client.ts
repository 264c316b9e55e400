import { Agent, request } from 'node:http';
import { registerUser, type RegisteredUser } from '../../test/helpers/users.js';
import { SHARED_SECRET } from './server.js';

// A minimal Client-Server client for load generation: plain fetch, no SDK, so the client side costs little.

export interface User {
  userId: string;
  token: string;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(signal ? { signal } : {}), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Runs fn over items with at most `concurrency` in flight. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T, i);
      }
    }),
  );
  return out;
}

/** Users in bulk through Synapse's shared-secret registration (no UIA; bcrypt cost 4 in the bench config). */
export async function registerUsers(baseUrl: string, prefix: string, count: number): Promise<User[]> {
  const made: RegisteredUser[] = await pool(
    Array.from({ length: count }, (_, i) => `${prefix}${i}`),
    16,
    (localpart) => registerUser(baseUrl, { registrationSharedSecret: SHARED_SECRET }, localpart),
  );
  return made.map((u) => ({ userId: u.userId, token: u.accessToken }));
}

export async function createRoom(baseUrl: string, owner: User, body: Record<string, unknown> = {}): Promise<string> {
  const r = await call(baseUrl, 'POST', '/_matrix/client/v3/createRoom', owner.token, { preset: 'public_chat', ...body });
  return String(r.room_id);
}

export async function joinRoom(baseUrl: string, user: User, roomId: string): Promise<void> {
  await call(baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, user.token, {});
}

// A real client keeps one connection to its homeserver. fetch's shared pool instead opens a new connection
// whenever its open ones look busy, which under load is often (76 connections for 50 clients in one 4 s run);
// each new one waits for the server's accept, one per event-loop turn (see bench/profile-tail.ts), and that
// wait was counted as send latency. Sends therefore go through one keep-alive connection per user.
const connections = new Map<string, Agent>();
function connectionOf(user: User): Agent {
  let agent = connections.get(user.token);
  if (agent === undefined) connections.set(user.token, (agent = new Agent({ keepAlive: true, maxSockets: 1 })));
  return agent;
}

/**
 * PUT with a JSON body over the user's own connection; the parsed 200 response. A kept-alive connection the
 * server closed for idleness just as the request went out fails with ECONNRESET; the request is sent again
 * once on a new connection, as Node's documentation advises (`reusedSocket`) and real clients do. The PUTs here
 * carry a transaction id, so a repeat is answered with the first event, never a second one.
 */
async function putAsUser(baseUrl: string, user: User, path: string, body: unknown): Promise<Record<string, unknown>> {
  try {
    return await putOnce(baseUrl, user, path, body);
  } catch (err) {
    if ((err as { staleConnection?: boolean }).staleConnection !== true) throw err;
    return putOnce(baseUrl, user, path, body);
  }
}

function putOnce(baseUrl: string, user: User, path: string, body: unknown): Promise<Record<string, unknown>> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${path}`,
      {
        method: 'PUT',
        agent: connectionOf(user),
        headers: { Authorization: `Bearer ${user.token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`PUT ${path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
          else resolve(JSON.parse(text) as Record<string, unknown>);
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && err.code === 'ECONNRESET') Object.assign(err, { staleConnection: true });
      reject(err);
    });
    req.end(payload);
  });
}

let txnCounter = 0;
export async function sendText(baseUrl: string, user: User, roomId: string, text: string): Promise<string> {
  const txn = `b${process.pid}-${Date.now()}-${++txnCounter}`;
  const r = await putAsUser(baseUrl, user, `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`, {
    msgtype: 'm.text',
    body: text,
  });
  return String(r.event_id);
}

export async function sync(baseUrl: string, user: User, params: Record<string, string> = {}, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const q = new URLSearchParams(params).toString();
  return call(baseUrl, 'GET', `/_matrix/client/v3/sync${q ? `?${q}` : ''}`, user.token, undefined, signal);
}

/** Event ids in the joined rooms' timelines of a sync response. */
export function syncEventIds(body: Record<string, unknown>): string[] {
  const join = ((body.rooms as Record<string, unknown> | undefined)?.join ?? {}) as Record<string, { timeline?: { events?: Array<{ event_id?: string }> } }>;
  return Object.values(join).flatMap((r) => (r.timeline?.events ?? []).map((e) => String(e.event_id)));
}
