import type { JoinedRoomDecorator } from '../sync/index.js';
import type { PushService } from './service.js';

// Puts `unread_notifications` on every joined room of a /sync response, and `unread_thread_notifications`
// when the filter asks for them (room.timeline.unread_thread_notifications): then, as the spec says,
// unread_notifications counts only the main timeline.
export function unreadCountsDecorator(push: () => PushService): JoinedRoomDecorator {
  return {
    async prepare({ requester, filter, roomIds, toEvents }) {
      const threaded = filter.room?.timeline?.unread_thread_notifications === true;
      const counts = await push().unreadCounts(requester.userId, roomIds, threaded, toEvents);
      return (join) => {
        for (const [roomId, section] of Object.entries(join)) {
          const c = counts.get(roomId);
          if (!c) continue;
          section.unread_notifications = { ...c.room };
          if (threaded) Object.assign(section, { unread_thread_notifications: c.threads });
        }
      };
    },
  };
}
