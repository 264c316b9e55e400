import type { Logger } from 'pino';
import type { NoticeHub, StreamNotice } from '../types/notices.js';

/**
 * The in-process notice hub: writers publish after commit, subscribers (sync notifier, senders) are
 * called synchronously so a long-poll wakes in the same tick. A worker deployment will forward notices
 * over the Redis bus behind this same interface.
 */
export function createInProcessNoticeHub(logger: Logger): NoticeHub {
  const handlers = new Set<(n: StreamNotice) => void>();
  return {
    publish(notice) {
      for (const h of handlers) {
        try {
          h(notice);
        } catch (err) {
          logger.error({ err, stream: notice.stream }, 'notice subscriber failed');
        }
      }
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
}
