import { serverNameOf } from '../../protocol/index.js';
import type { StreamNotice } from '../../types/notices.js';
import type { FederationRoomsDeps } from './deps.js';
import { joinedServers } from './room-access.js';

// Outbound PDUs: every event our users create goes to every other server with joined members in the room,
// and a membership event also to the server of its target (an invitee, a kicked or banned user), which is
// not joined but must learn of it. Notices are handled one after another so events queue in stream order.

export function startSendingLocalEvents(deps: FederationRoomsDeps): () => void {
  const ours = deps.config.serverName;
  let chain: Promise<void> = Promise.resolve();
  const handle = async (notice: StreamNotice): Promise<void> => {
    const roomId = notice.roomIds?.[0];
    if (roomId === undefined) return;
    const [event] = await deps.storage.rooms.getRoomEventsInRange(roomId, notice.position - 1, notice.position, 'f', 1);
    if (event === undefined || serverNameOf(event.pdu.sender) !== ours) return;
    const destinations = await joinedServers(deps.storage, roomId);
    if (event.pdu.type === 'm.room.member' && typeof event.pdu.state_key === 'string') {
      const target = serverNameOf(event.pdu.state_key);
      if (target !== undefined) destinations.add(target);
    }
    destinations.delete(ours);
    if (destinations.size === 0) return;
    await deps.federation.sender.sendPdus(destinations, [{ eventId: event.eventId, roomId }]);
  };
  return deps.notices.subscribe((notice) => {
    if (notice.stream !== 'events') return;
    chain = chain
      .then(() => handle(notice))
      .catch((err: unknown) => deps.logger.error({ err, position: notice.position }, 'could not queue an event for federation'));
  });
}
