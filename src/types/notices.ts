import type { RoomId, UserId } from './ids.js';

// Notices say "stream X advanced to position P, concerning these rooms/users". Writers publish them only
// after their transaction committed; readers (the sync notifier, federation and appservice senders, push)
// subscribe. They carry no data: readers fetch what they need from storage at the new position.

export type StreamName =
  | 'events'
  | 'typing'
  | 'receipts'
  | 'account_data'
  | 'presence'
  | 'to_device'
  | 'device_lists'
  | 'push_rules'
  | 'invites';

export interface StreamNotice {
  stream: StreamName;
  position: number;
  roomIds?: readonly RoomId[];
  userIds?: readonly UserId[];
}

export interface NoticeSink {
  publish(notice: StreamNotice): void;
}

export interface NoticeSource {
  /** Returns an unsubscribe function. Handlers run synchronously in publish order and must not throw. */
  subscribe(handler: (notice: StreamNotice) => void): () => void;
}

export interface NoticeHub extends NoticeSink, NoticeSource {}
