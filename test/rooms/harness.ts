import { generateSigningKey, type SigningKey } from '../../src/crypto/index.js';
import {
  checkContentHash,
  checkEventAuth,
  checkEventSignatures,
  findRoomVersion,
  stateKey,
  type RoomVersion,
} from '../../src/protocol/index.js';
import { createRoomService, type PushActionsPort, type RoomService } from '../../src/rooms/index.js';
import type { Storage, StoredEvent } from '../../src/storage/interfaces/index.js';
import type { RoomId } from '../../src/types/ids.js';
import type { StreamNotice } from '../../src/types/notices.js';
import type { RoomEvent, StateKey } from '../../src/types/pdu.js';
import type { Requester } from '../../src/types/requester.js';
import { testConfig } from '../helpers/http.js';
import { testLogger } from '../helpers/storage.js';

// A room service over a real (test) storage, without HTTP: requesters are made directly.

export const SERVER = 'test.example.org';

export interface RoomHarness {
  rooms: RoomService;
  storage: Storage;
  signingKey: SigningKey;
  notices: StreamNotice[];
  profiles: Map<string, { displayname: string | null; avatar_url: string | null }>;
  user(localpart: string, opts?: { deviceId?: string; isGuest?: boolean }): Requester;
}

export function roomHarness(
  storage: Storage,
  opts: { signingKey?: SigningKey; defaultRoomVersion?: string; now?: () => number; pushActions?: PushActionsPort; indexAdvanced?: (from: number, to: number) => void } = {},
): RoomHarness {
  const signingKey = opts.signingKey ?? generateSigningKey('test');
  const notices: StreamNotice[] = [];
  const profiles = new Map<string, { displayname: string | null; avatar_url: string | null }>();
  const rooms = createRoomService({
    config: testConfig({ serverName: SERVER, defaultRoomVersion: opts.defaultRoomVersion ?? '12' }),
    logger: testLogger(),
    storage,
    signingKey,
    notices: { publish: (n) => notices.push(n) },
    profiles: { getProfile: async (u) => profiles.get(u) ?? { displayname: null, avatar_url: null } },
    now: opts.now ?? (() => Date.now()),
    ...(opts.pushActions !== undefined ? { pushActions: opts.pushActions } : {}),
    ...(opts.indexAdvanced !== undefined ? { indexAdvanced: opts.indexAdvanced } : {}),
  });
  return {
    rooms,
    storage,
    signingKey,
    notices,
    profiles,
    user: (localpart, o = {}) => ({
      userId: `@${localpart}:${SERVER}`,
      deviceId: o.deviceId ?? 'DEV',
      accessTokenId: 1,
      isGuest: o.isGuest ?? false,
      appserviceId: null,
    }),
  };
}

/** Every event of a room in stream order (timeline, both directions covered by the read store). */
export async function roomEvents(storage: Storage, roomId: RoomId): Promise<StoredEvent[]> {
  return storage.rooms.getRoomEventsInRange(roomId, 0, Number.MAX_SAFE_INTEGER, 'f', 1000);
}

export async function currentState(storage: Storage, roomId: RoomId): Promise<Map<StateKey, StoredEvent>> {
  const ids = await storage.rooms.getCurrentStateIds(roomId);
  const events = await storage.rooms.getEvents(ids.values());
  const out = new Map<StateKey, StoredEvent>();
  for (const [k, id] of ids) {
    const ev = events.get(id);
    if (ev) out.set(k, ev);
  }
  return out;
}

export async function stateContent(storage: Storage, roomId: RoomId, type: string, key = ''): Promise<Record<string, unknown> | undefined> {
  return (await storage.rooms.getCurrentStateEvent(roomId, type, key))?.pdu.content;
}

export async function versionOf(storage: Storage, roomId: RoomId): Promise<RoomVersion> {
  const room = await storage.rooms.getRoom(roomId);
  const v = room ? findRoomVersion(room.roomVersion) : undefined;
  if (!v) throw new Error(`no room ${roomId}`);
  return v;
}

/**
 * Re-checks every event of the room as a remote server would: content hash, our signature, and the auth
 * rules against the state before the event (the stored state group). Returns the problems found.
 */
export async function verifyRoom(h: RoomHarness, roomId: RoomId): Promise<string[]> {
  const version = await versionOf(h.storage, roomId);
  const problems: string[] = [];
  const lookup = (server: string, keyId: string) =>
    server === SERVER && keyId === h.signingKey.keyId ? { publicKey: h.signingKey.publicKeyBase64 } : undefined;
  for (const ev of await roomEvents(h.storage, roomId)) {
    if (!checkContentHash(version, ev.pdu)) problems.push(`${ev.eventId}: content hash`);
    const sig = checkEventSignatures(version, ev.pdu, lookup);
    if (!sig.ok) problems.push(`${ev.eventId}: signature ${sig.reason}`);
    const before = await h.storage.rooms.getStateIdsBeforeEvent(ev.eventId);
    if (!before) {
      problems.push(`${ev.eventId}: no state before`);
      continue;
    }
    const loaded = await h.storage.rooms.getEvents(before.values());
    const state = new Map<StateKey, RoomEvent>();
    for (const [k, id] of before) {
      const e = loaded.get(id);
      if (e) state.set(k, { eventId: id, pdu: e.pdu });
    }
    const verdict = checkEventAuth(version, { eventId: ev.eventId, pdu: ev.pdu }, state);
    if (!verdict.allowed) problems.push(`${ev.eventId} (${ev.pdu.type}): auth ${verdict.reason}`);
  }
  return problems;
}

export { stateKey };
