import {
  actionsHighlight,
  actionsNotify,
  DEFAULT_ROOM_VERSION,
  evaluatePushRules,
  findRoomVersion,
  PushMatcherCache,
  powerLevelsView,
  roomVersion,
  type PushRuleset,
} from '../protocol/index.js';
import type { PushActionRow, Storage, StoredEvent } from '../storage/interfaces/index.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { JsonObject, JsonValue } from '../types/json.js';

// Runs the push rules of every local member of a room over one newly persisted event and stores the
// resulting actions (those that notify or highlight) per user. The rooms writer announces events through
// 'events' notices; the push service feeds them here in stream order.

export interface EvaluatorDeps {
  storage: Storage;
  serverName: string;
  now: () => number;
  getRuleset(userId: UserId): Promise<PushRuleset>;
}

/** 'main', or the thread root of an event that is part of a thread (m.thread relation). */
export function threadIdOf(content: JsonObject): string {
  const rel = content['m.relates_to'];
  if (typeof rel !== 'object' || rel === null || Array.isArray(rel)) return 'main';
  const r = rel as JsonObject;
  return r['rel_type'] === 'm.thread' && typeof r['event_id'] === 'string' ? r['event_id'] : 'main';
}

/** A room's joined members as one evaluation pass uses them. */
export interface PassMembers {
  count: number;
  displayNames: Map<UserId, string | null>;
  local: UserId[];
  /** The room's power levels as the rules read them, once per pass (read when an event has a recipient). */
  levels?: Promise<PassLevels>;
}

interface PassLevels {
  userLevel: (userId: UserId) => number;
  notificationPowerLevels: { room: number };
}

export function createEvaluator(deps: EvaluatorDeps) {
  const { storage } = deps;
  const cache = new PushMatcherCache();
  const suffix = `:${deps.serverName}`;

  async function readLevels(roomId: RoomId): Promise<PassLevels> {
    const room = await storage.rooms.getRoom(roomId);
    const version = (room && findRoomVersion(room.roomVersion)) ?? roomVersion(DEFAULT_ROOM_VERSION);
    const pl = powerLevelsView(
      version,
      await storage.rooms.getCurrentStateEvent(roomId, 'm.room.power_levels', ''),
      await storage.rooms.getCurrentStateEvent(roomId, 'm.room.create', ''),
    );
    return { userLevel: (userId) => pl.userLevel(userId), notificationPowerLevels: { room: pl.notificationLevel('room') } };
  }

  /**
   * `batch` is shared by the events of one evaluation pass: the joined members are read once per room and
   * pass (they are the current members either way, the pass starting after its events were persisted), not
   * once per event, which read a 10,000-member room's whole member list for each of its events.
   */
  return async function evaluateEvent(ev: StoredEvent, batch?: Map<RoomId, PassMembers>): Promise<PushActionRow[]> {
    if (ev.outlier || ev.softFailed || ev.rejectedReason !== null) return [];
    const pdu = ev.pdu;
    const roomId: RoomId = ev.roomId;
    // One query for the joined members and their display names (not one member event per user).
    let pass = batch?.get(roomId);
    if (pass === undefined) {
      const members = await storage.rooms.getJoinedMemberNames(roomId);
      pass = {
        count: members.length,
        displayNames: new Map(members.map((m) => [m.userId, m.displayName])),
        local: members.map((m) => m.userId).filter((u) => u.endsWith(suffix)),
      };
      batch?.set(roomId, pass);
    }
    const { displayNames } = pass;
    const recipients = new Set(pass.local);
    recipients.delete(pdu.sender);
    // An invite notifies its (local) target, who is not a member yet (.m.rule.invite_for_me).
    if (pdu.type === 'm.room.member' && pdu.content.membership === 'invite' && typeof pdu.state_key === 'string' && pdu.state_key.endsWith(suffix)) {
      recipients.add(pdu.state_key);
    }
    if (recipients.size === 0) return [];

    // Current power levels, like the members: read once per room and pass, not three reads per event.
    pass.levels ??= readLevels(roomId);
    const levels = await pass.levels;
    const senderPowerLevel = levels.userLevel(pdu.sender);
    const { notificationPowerLevels } = levels;
    const threadId = threadIdOf(pdu.content);
    const event = { ...pdu, room_id: roomId, event_id: ev.eventId } as unknown as Record<string, unknown>;

    const rows: PushActionRow[] = [];
    for (const userId of recipients) {
      // An invitee is not joined: look its member event up (rare; the joined members came in one query).
      let displayName = displayNames.get(userId);
      if (displayName === undefined) {
        const member = await storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', userId);
        displayName = typeof member?.pdu.content.displayname === 'string' ? member.pdu.content.displayname : null;
      }
      const result = evaluatePushRules(await deps.getRuleset(userId), event, {
        userId,
        displayName,
        roomMemberCount: pass.count,
        senderPowerLevel,
        notificationPowerLevels,
        cache,
      });
      if (!result) continue;
      const notify = actionsNotify(result.actions);
      const highlight = actionsHighlight(result.actions);
      if (!notify && !highlight) continue;
      rows.push({
        userId,
        eventId: ev.eventId,
        roomId,
        streamOrdering: ev.streamOrdering,
        threadId,
        notify,
        highlight,
        actions: result.actions as JsonValue[],
        ts: typeof pdu.origin_server_ts === 'number' ? pdu.origin_server_ts : deps.now(),
      });
    }
    return rows;
  };
}
