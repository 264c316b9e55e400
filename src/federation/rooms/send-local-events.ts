import { serverNameOf } from '../../protocol/index.js';
import type { StoredEvent } from '../../storage/interfaces/index.js';
import type { RoomId } from '../../types/ids.js';
import type { StreamNotice } from '../../types/notices.js';
import type { FederationRoomsDeps } from './deps.js';
import { joinedServers } from './room-access.js';

// Outbound PDUs: every event our users create goes to every other server with joined members in the room,
// and a membership event also to the server of its target (an invitee, a kicked or banned user), which is
// not joined but must learn of it. Notices are handled one batch after another so events queue in stream
// order; the notices that arrive while a batch is being handled form the next one, so a burst of sends
// reads each room's events and joined servers once, not once per event.

/** Widest span of stream positions read in one query for one room. */
const MAX_SPAN = 1000;

export function startSendingLocalEvents(deps: FederationRoomsDeps): () => Promise<void> {
  const ours = deps.config.serverName;

  /** The room's events at exactly the notified positions, in stream order. */
  const eventsAt = async (roomId: RoomId, positions: number[]): Promise<StoredEvent[]> => {
    const sorted = [...new Set(positions)].sort((a, b) => a - b);
    const wanted = new Set(sorted);
    const out: StoredEvent[] = [];
    for (let i = 0; i < sorted.length; ) {
      const low = sorted[i] as number;
      let j = i;
      while (j + 1 < sorted.length && (sorted[j + 1] as number) - low < MAX_SPAN) j++;
      const high = sorted[j] as number;
      const events = await deps.storage.rooms.getRoomEventsInRange(roomId, low - 1, high, 'f', high - low + 1);
      out.push(...events.filter((e) => wanted.has(e.streamOrdering)));
      i = j + 1;
    }
    return out;
  };

  const handle = async (notices: StreamNotice[]): Promise<void> => {
    const byRoom = new Map<RoomId, { positions: number[]; remoteTarget: boolean }>();
    for (const n of notices) {
      const roomId = n.roomIds?.[0];
      if (roomId === undefined) continue;
      let room = byRoom.get(roomId);
      if (room === undefined) byRoom.set(roomId, (room = { positions: [], remoteTarget: false }));
      room.positions.push(n.position);
      // A member event's notice names its target: one on another server is told even if it is not joined.
      if (n.userIds?.some((u) => serverNameOf(u) !== ours) === true) room.remoteTarget = true;
    }
    for (const [roomId, { positions, remoteTarget }] of byRoom) {
      const joined = await joinedServers(deps.storage, roomId);
      // A room of this server's users alone (the common case of a family or bot server): nothing to read.
      if (!remoteTarget && [...joined].every((s) => s === ours)) continue;
      const local = (await eventsAt(roomId, positions)).filter((e) => serverNameOf(e.pdu.sender) === ours);
      if (local.length === 0) continue;
      for (const event of local) {
        const destinations = new Set(joined);
        if (event.pdu.type === 'm.room.member' && typeof event.pdu.state_key === 'string') {
          const target = serverNameOf(event.pdu.state_key);
          if (target !== undefined) destinations.add(target);
        }
        destinations.delete(ours);
        if (destinations.size === 0) continue;
        await deps.federation.sender.sendPdus(destinations, [{ eventId: event.eventId, roomId }]);
      }
    }
  };

  let chain: Promise<void> = Promise.resolve();
  let waiting: StreamNotice[] = [];
  const unsubscribe = deps.notices.subscribe((notice) => {
    if (notice.stream !== 'events') return;
    waiting.push(notice);
    if (waiting.length > 1) return; // the batch is already scheduled
    chain = chain
      .then(() => {
        const batch = waiting;
        waiting = [];
        return handle(batch).catch((err: unknown) =>
          deps.logger.error({ err, positions: batch.map((n) => n.position) }, 'could not queue events for federation'),
        );
      });
  });
  // Stop: no new batches; resolves once the batch in flight is queued, so closing the database cannot abort it.
  return () => {
    unsubscribe();
    return chain;
  };
}
