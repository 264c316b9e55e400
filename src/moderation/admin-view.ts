import type { ContentReport, Storage } from '../storage/interfaces/index.js';

// Reports as Synapse's admin API shows them (GET /_synapse/admin/v1/event_reports), so existing admin tools
// (synapse-admin, scripts) read ours unchanged: the room's current name and canonical alias, and the reported
// event's sender, are looked up when listed.

export interface AdminReportView {
  id: number;
  received_ts: number;
  room_id: string | null;
  name: string | null;
  canonical_alias: string | null;
  event_id: string | null;
  user_id: string;
  reason: string | null;
  score: number | null;
  sender: string | null;
  target_user_id: string | null;
  event_json?: Record<string, unknown>;
}

async function stateString(storage: Storage, roomId: string, type: string, field: string): Promise<string | null> {
  const ev = await storage.rooms.getCurrentStateEvent(roomId as ContentReport['roomId'] & string, type, '');
  const v = ev?.pdu.content[field];
  return typeof v === 'string' ? v : null;
}

export async function adminReportView(storage: Storage, r: ContentReport, withEvent: boolean): Promise<AdminReportView> {
  const view: AdminReportView = {
    id: r.id,
    received_ts: r.receivedTs,
    room_id: r.roomId,
    name: r.roomId ? await stateString(storage, r.roomId, 'm.room.name', 'name') : null,
    canonical_alias: r.roomId ? await stateString(storage, r.roomId, 'm.room.canonical_alias', 'alias') : null,
    event_id: r.eventId,
    user_id: r.reporter,
    reason: r.reason,
    score: r.score,
    sender: r.kind === 'event' ? r.targetUserId : null,
    target_user_id: r.targetUserId,
  };
  if (withEvent && r.eventId) {
    const ev = await storage.rooms.getEvent(r.eventId);
    if (ev) view.event_json = ev.pdu as unknown as Record<string, unknown>;
  }
  return view;
}
