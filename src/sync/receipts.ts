import { forbidden, invalidParam, notFound } from '../errors/index.js';
import type { Storage } from '../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { NoticeSink } from '../types/notices.js';
import type { LocalEphemeralChange } from './federated-ephemeral.js';
import { PRIVATE_RECEIPT_TYPES } from './room-ephemeral.js';

// Read receipts (POST /rooms/{roomId}/receipt/{type}/{eventId}) and read markers (POST
// /rooms/{roomId}/read_markers). m.read / m.read.private are receipts on the receipts stream; m.fully_read is
// the room account data event of that name (the spec's "read marker"), on the account data stream.

const RECEIPT_TYPES: ReadonlySet<string> = new Set(['m.read', 'm.read.private', 'm.fully_read']);

export class ReceiptWriter {
  constructor(
    private readonly storage: Storage,
    private readonly notices: NoticeSink,
    private readonly now: () => number,
    /** Told about every new local public receipt (federation sends it as m.receipt). */
    private readonly onLocal: (change: LocalEphemeralChange) => void = () => undefined,
  ) {}

  /**
   * A receipt another server sent for one of its users (the caller checked the user is theirs and joined).
   * The event may not have reached us yet, so it is not looked up; an older receipt still never wins.
   */
  async applyRemote(userId: UserId, roomId: RoomId, receiptType: string, eventId: EventId, data: JsonObject): Promise<void> {
    if (PRIVATE_RECEIPT_TYPES.has(receiptType) || !RECEIPT_TYPES.has(receiptType) || receiptType === 'm.fully_read') return;
    const threadId = typeof data.thread_id === 'string' ? data.thread_id : '';
    const target = await this.storage.rooms.getEvent(eventId);
    await this.writeReceipt(userId, roomId, receiptType, eventId, target?.roomId === roomId ? target.streamOrdering : Number.MAX_SAFE_INTEGER, threadId, data, false);
  }

  async postReceipt(userId: UserId, roomId: RoomId, receiptType: string, eventId: EventId, threadId: string | undefined): Promise<void> {
    if (!RECEIPT_TYPES.has(receiptType)) {
      throw invalidParam(`Receipt type must be one of ${[...RECEIPT_TYPES].join(', ')}`);
    }
    if (threadId !== undefined) {
      if (receiptType === 'm.fully_read') throw invalidParam('m.fully_read receipts cannot be threaded');
      if (threadId !== 'main' && !threadId.startsWith('$')) throw invalidParam('thread_id must be "main" or an event id');
    }
    await this.assertJoined(userId, roomId);
    const target = await this.assertEventInRoom(roomId, eventId);
    if (receiptType === 'm.fully_read') await this.setFullyRead(userId, roomId, eventId);
    else await this.writeReceipt(userId, roomId, receiptType, eventId, target, threadId ?? '');
  }

  async setReadMarkers(userId: UserId, roomId: RoomId, markers: { fullyRead?: EventId; read?: EventId; readPrivate?: EventId }): Promise<void> {
    await this.assertJoined(userId, roomId);
    if (markers.fullyRead !== undefined) {
      await this.assertEventInRoom(roomId, markers.fullyRead);
      await this.setFullyRead(userId, roomId, markers.fullyRead);
    }
    if (markers.read !== undefined) {
      const ordering = await this.assertEventInRoom(roomId, markers.read);
      await this.writeReceipt(userId, roomId, 'm.read', markers.read, ordering, '');
    }
    if (markers.readPrivate !== undefined) {
      const ordering = await this.assertEventInRoom(roomId, markers.readPrivate);
      await this.writeReceipt(userId, roomId, 'm.read.private', markers.readPrivate, ordering, '');
    }
  }

  private async writeReceipt(
    userId: UserId,
    roomId: RoomId,
    receiptType: string,
    eventId: EventId,
    ordering: number,
    threadId: string,
    remoteData?: JsonObject,
    local = true,
  ): Promise<void> {
    // Receipts never move backwards (Synapse ignores an older one): clients send them out of order.
    const existing = (await this.storage.userData.getUserReceipts(roomId, userId, receiptType)).find((r) => r.threadId === threadId);
    if (existing) {
      if (existing.eventId === eventId) return;
      const prev = await this.storage.rooms.getEvent(existing.eventId);
      if (prev && prev.streamOrdering > ordering) return;
    }
    const data: JsonObject = { ts: typeof remoteData?.ts === 'number' ? remoteData.ts : this.now() };
    if (threadId !== '') data.thread_id = threadId;
    const gen = await this.storage.streamIdGenerator('receipts', 'stream_id');
    const alloc = gen.getNext();
    try {
      await this.storage.userData.putReceipt({ roomId, receiptType, userId, threadId, eventId, data, streamId: alloc.id });
    } finally {
      alloc.done();
    }
    // A private receipt concerns only its owner's syncs.
    if (PRIVATE_RECEIPT_TYPES.has(receiptType)) this.notices.publish({ stream: 'receipts', position: alloc.id, userIds: [userId] });
    else this.notices.publish({ stream: 'receipts', position: alloc.id, roomIds: [roomId] });
    if (local && !PRIVATE_RECEIPT_TYPES.has(receiptType)) this.onLocal({ kind: 'receipt', roomId, receiptType, userId, eventId, data });
  }

  private async setFullyRead(userId: UserId, roomId: RoomId, eventId: EventId): Promise<void> {
    const gen = await this.storage.streamIdGenerator('account_data', 'stream_id');
    const alloc = gen.getNext();
    try {
      await this.storage.userData.putAccountData({ userId, roomId, type: 'm.fully_read', content: { event_id: eventId }, streamId: alloc.id });
    } finally {
      alloc.done();
    }
    this.notices.publish({ stream: 'account_data', position: alloc.id, userIds: [userId] });
  }

  private async assertJoined(userId: UserId, roomId: RoomId): Promise<void> {
    const member = await this.storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', userId);
    if (member?.pdu.content.membership !== 'join') throw forbidden(`You are not joined to room ${roomId}`);
  }

  /** The event's stream ordering; 404 when it is not an event of this room. */
  private async assertEventInRoom(roomId: RoomId, eventId: EventId): Promise<number> {
    const ev = await this.storage.rooms.getEvent(eventId);
    if (!ev || ev.roomId !== roomId) throw notFound(`Event ${eventId} not found in room ${roomId}`);
    return ev.streamOrdering;
  }
}
