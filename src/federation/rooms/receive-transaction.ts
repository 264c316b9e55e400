import { isMatrixError } from '../../errors/index.js';
import { findRoomVersion } from '../../protocol/index.js';
import type { RoomId } from '../../types/ids.js';
import { checkIncomingPdu, eventIdOf } from './check-pdu.js';
import type { FederationRoomsDeps } from './deps.js';
import { serverAllowedInRoom } from './server-acl.js';
import { fillGap, type GapRateLimiter } from './fill-gap.js';
import { fetchMissingAuthEvents } from './partial-state-resync.js';

// PDUs of an inbound transaction (PUT /send/{txnId}): each is checked and handed to the room writer, rooms
// one after another and events of a room in the order sent (the writer also serialises per room). The
// answer maps each event id to {} or {error}; a retried transaction id of the same origin gets the recorded
// answer again without being processed twice.

export type PduResults = Record<string, { error?: string }>;

export async function receivePdus(
  deps: FederationRoomsDeps,
  origin: string,
  txnId: string,
  pdus: readonly unknown[],
  gaps?: GapRateLimiter,
): Promise<PduResults> {
  const { rooms: store } = deps.storage;
  const seen = await store.getInboundTxnResponse(origin, txnId);
  if (seen !== undefined) return JSON.parse(seen) as PduResults;
  const results: PduResults = {};
  const byRoom = new Map<RoomId, unknown[]>();
  for (const pdu of pdus) {
    const roomId = typeof pdu === 'object' && pdu !== null ? (pdu as { room_id?: unknown }).room_id : undefined;
    if (typeof roomId !== 'string') continue;
    const list = byRoom.get(roomId) ?? [];
    list.push(pdu);
    byRoom.set(roomId, list);
  }
  for (const [roomId, list] of byRoom) {
    const room = await store.getRoom(roomId);
    const version = room !== undefined ? findRoomVersion(room.roomVersion) : undefined;
    // Events of rooms we are not in cannot be checked; they are dropped (the spec lets us ignore them).
    if (version === undefined) continue;
    // The room's server ACL is applied per PDU: a denied origin gets an error for each of its PDUs of that room.
    const allowed = await serverAllowedInRoom(store, roomId, origin);
    for (const json of list) {
      const fallbackId = eventIdOf(version, json as Record<string, unknown>);
      if (!allowed) {
        if (fallbackId !== undefined) results[fallbackId] = { error: `Server ${origin} is denied by the room's server ACL` };
        continue;
      }
      const checked = await checkIncomingPdu(deps.federation.keyring, version, json);
      if (!checked.ok) {
        if (checked.eventId ?? fallbackId) results[(checked.eventId ?? fallbackId) as string] = { error: checked.reason };
        deps.logger.info({ origin, roomId, reason: checked.reason }, 'rejected inbound PDU');
        continue;
      }
      try {
        // Auth events a partial-state room lacks, then prev events we lack, are fetched from the origin first.
        await fetchMissingAuthEvents(deps, origin, version, roomId, checked.event);
        // Prev events we lack are fetched from the origin first (fill-gap.ts).
        const fill = gaps !== undefined ? await fillGap(deps, gaps, origin, version, roomId, checked.event) : {};
        await deps.rooms.receive(roomId, checked.event, fill);
        results[checked.event.eventId] = {};
      } catch (err) {
        const reason = isMatrixError(err) ? err.message : 'internal error';
        if (!isMatrixError(err)) deps.logger.error({ err, origin, eventId: checked.event.eventId }, 'failed to persist inbound PDU');
        results[checked.event.eventId] = { error: reason };
      }
    }
  }
  await store.putInboundTxnResponse(origin, txnId, JSON.stringify(results), deps.now());
  return results;
}
