import { xMatrixAuthorization } from '../../../src/federation/outbound/index.js';
import { hashAndSignEvent, roomVersion } from '../../../src/protocol/index.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, enc, type FedServer } from './harness.js';

// Hand-built federation traffic for tests of hostile or unusual input: signed requests from one test
// server to another, and PDUs built on top of a resident server's view of a room, signed by any server.

export interface FedReply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** A request signed with `from`'s key, sent to `to`. */
export async function fedRequest(from: FedServer, to: FedServer, method: string, uri: string, body?: unknown): Promise<FedReply> {
  const header = xMatrixAuthorization({ method, uri, origin: from.name, destination: to.name, ...(body !== undefined ? { content: body } : {}) }, from.key);
  const res = await fetch(`${to.server.baseUrl}${uri}`, {
    method,
    headers: { Authorization: header, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

let txnCounter = 0;
/** PUT /send with these PDUs (and EDUs) from `from` to `to`; the reply's per-PDU results. */
export async function sendTransaction(from: FedServer, to: FedServer, pdus: unknown[], edus: unknown[] = []): Promise<FedReply> {
  const uri = `/_matrix/federation/v1/send/forge-${Date.now()}-${txnCounter++}`;
  return fedRequest(from, to, 'PUT', uri, { origin: from.name, origin_server_ts: Date.now(), pdus, ...(edus.length > 0 ? { edus } : {}) });
}

export interface RoomView {
  resident: FedServer;
  viewer: RegisteredUser;
  roomId: string;
  version: string;
}

/** Current state ids and the latest timeline event of the room as the resident server's `viewer` sees them. */
export async function roomHeads(view: RoomView): Promise<{ stateId: (type: string, key?: string) => string | undefined; latest: string }> {
  const state = await api(view.resident, view.viewer, 'GET', `/_matrix/client/v3/rooms/${enc(view.roomId)}/state`);
  const events = state.body as unknown as Array<{ type: string; state_key: string; event_id: string }>;
  const last = await api(view.resident, view.viewer, 'GET', `/_matrix/client/v3/rooms/${enc(view.roomId)}/messages?dir=b&limit=1`);
  const latest = (last.body.chunk as Array<{ event_id: string }>)[0]?.event_id as string;
  return { stateId: (t, k = '') => events.find((e) => e.type === t && e.state_key === k)?.event_id, latest };
}

export interface PduOptions {
  stateKey?: string;
  prevEvents?: string[];
  authEvents?: string[];
  depth?: number;
}

/** A signed PDU by `sender`, on top of the room as `view` sees it now, signed by `signer`. */
export async function buildPdu(view: RoomView, signer: FedServer, sender: string, type: string, content: Record<string, unknown>, opts: PduOptions = {}) {
  const version = roomVersion(view.version);
  const heads = await roomHeads(view);
  const memberKey = type === 'm.room.member' && opts.stateKey !== undefined ? opts.stateKey : sender;
  const wanted: Array<[string, string]> = [['m.room.power_levels', ''], ['m.room.member', sender]];
  if (type === 'm.room.member') wanted.push(['m.room.join_rules', '']);
  if (memberKey !== sender) wanted.push(['m.room.member', memberKey]);
  // Room versions before 12 list the create event among the auth events; 12 implies it by the room id.
  if (!version.createEventNotInAuthEvents) wanted.unshift(['m.room.create', '']);
  const auth = wanted.map(([t, k]) => heads.stateId(t, k)).filter((x): x is string => x !== undefined);
  const unsigned = {
    room_id: view.roomId,
    sender,
    type,
    ...(opts.stateKey !== undefined ? { state_key: opts.stateKey } : {}),
    content,
    origin_server_ts: Date.now(),
    depth: opts.depth ?? 100,
    prev_events: opts.prevEvents ?? [heads.latest],
    auth_events: opts.authEvents ?? [...new Set(auth)],
  };
  return hashAndSignEvent(version, unsigned, signer.name, signer.key);
}
