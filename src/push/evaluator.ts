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

// Runs the push rules of every local member of a room over one event and returns the resulting actions (those
// that notify or highlight) per user. The room writer's group commit asks for its events' rows before writing
// them (they land in the same transaction); the push service's start-up catch-up feeds stored events here too.
// Events of one pass are evaluated in stream order over members and power levels that the pass's own
// membership and power-level events keep up to date, since those events may not be in the database yet.

export interface EvaluatorDeps {
  storage: Storage;
  serverName: string;
  now: () => number;
  /** A user's merged ruleset; a cached one may come as it is, without a promise to wait for. */
  getRuleset(userId: UserId): PushRuleset | Promise<PushRuleset>;
  /**
   * Local users no push rules are run for as members (an invite still notifies its target): the users an
   * application service holds exclusively. Their client is the bridge, which reads no notification counts,
   * and a bridged room may have hundreds of them, each otherwise a rule evaluation and a stored row per
   * message. Synapse leaves them out the same way.
   */
  skipsMember?: (userId: UserId) => boolean;
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
  /** The local members whose push rules run (see skipsMember). */
  local: UserId[];
  /** The room's power levels as the rules read them, once per pass (read when an event has a recipient). */
  levels?: Promise<PassLevels>;
  /** The pass's own m.room.create and m.room.power_levels events, newer than the database's current state. */
  create?: StoredEvent;
  powerLevels?: StoredEvent;
  /** `displayNames` and `local` belong to another pass too (forkPass): copied before they change. */
  shared?: boolean;
}

/** A pass that starts where `pass` ended, leaving `pass` as it is. */
export function forkPass(pass: PassMembers): PassMembers {
  return { ...pass, shared: true };
}

interface PassLevels {
  userLevel: (userId: UserId) => number;
  notificationPowerLevels: { room: number };
}

export function createEvaluator(deps: EvaluatorDeps) {
  const { storage } = deps;
  const cache = new PushMatcherCache();
  const suffix = `:${deps.serverName}`;
  const skips = deps.skipsMember;
  /** A member whose push rules run: local, and not held by an application service. */
  const evaluated = (userId: UserId): boolean => userId.endsWith(suffix) && (skips === undefined || !skips(userId));

  async function readLevels(roomId: RoomId, pass: PassMembers): Promise<PassLevels> {
    const create = pass.create ?? (await storage.rooms.getCurrentStateEvent(roomId, 'm.room.create', ''));
    const fromCreate = typeof create?.pdu.content.room_version === 'string' ? create.pdu.content.room_version : null;
    const versionId = fromCreate ?? (await storage.rooms.getRoom(roomId))?.roomVersion ?? null;
    const version = (versionId !== null ? findRoomVersion(versionId) : undefined) ?? roomVersion(DEFAULT_ROOM_VERSION);
    const pl = powerLevelsView(version, pass.powerLevels ?? (await storage.rooms.getCurrentStateEvent(roomId, 'm.room.power_levels', '')), create ?? undefined);
    return { userLevel: (userId) => pl.userLevel(userId), notificationPowerLevels: { room: pl.notificationLevel('room') } };
  }

  /** Moves the pass past `ev`: later events of the pass see its membership or power-level change. */
  function apply(pass: PassMembers, ev: StoredEvent): void {
    const { pdu } = ev;
    if (typeof pdu.state_key !== 'string') return;
    if (pdu.type === 'm.room.create' && pdu.state_key === '') {
      pass.create = ev;
      delete pass.levels;
    } else if (pdu.type === 'm.room.power_levels' && pdu.state_key === '') {
      pass.powerLevels = ev;
      delete pass.levels;
    } else if (pdu.type === 'm.room.member') {
      if (pass.shared === true) {
        pass.displayNames = new Map(pass.displayNames);
        pass.local = [...pass.local];
        pass.shared = false;
      }
      const userId = pdu.state_key;
      const was = pass.displayNames.has(userId);
      if (pdu.content.membership === 'join') {
        pass.displayNames.set(userId, typeof pdu.content.displayname === 'string' ? pdu.content.displayname : null);
        if (!was) {
          pass.count++;
          if (evaluated(userId)) pass.local.push(userId);
        }
      } else if (was) {
        pass.displayNames.delete(userId);
        pass.count--;
        pass.local = pass.local.filter((u) => u !== userId);
      }
    }
  }

  /**
   * `batch` is shared by the events of one evaluation pass: the joined members are read once per room and
   * pass, then moved along by the pass's own events (`apply`), not read once per event, which read a
   * 10,000-member room's whole member list for each of its events.
   */
  return async function evaluateEvent(ev: StoredEvent, batch: Map<RoomId, PassMembers> = new Map()): Promise<PushActionRow[]> {
    if (ev.outlier || ev.softFailed || ev.rejectedReason !== null) return [];
    const roomId: RoomId = ev.roomId;
    // One query for the joined members and their display names (not one member event per user).
    let pass = batch.get(roomId);
    if (pass === undefined) {
      const members = await storage.rooms.getJoinedMemberNames(roomId);
      pass = {
        count: members.length,
        displayNames: new Map(members.map((m) => [m.userId, m.displayName])),
        local: members.map((m) => m.userId).filter(evaluated),
      };
      batch.set(roomId, pass);
    }
    const rows = await rowsFor(ev, pass);
    apply(pass, ev);
    return rows;
  };

  async function rowsFor(ev: StoredEvent, pass: PassMembers): Promise<PushActionRow[]> {
    const pdu = ev.pdu;
    const roomId: RoomId = ev.roomId;
    const { displayNames } = pass;
    const recipients = new Set(pass.local);
    recipients.delete(pdu.sender);
    // An invite notifies its (local) target, who is not a member yet (.m.rule.invite_for_me).
    if (pdu.type === 'm.room.member' && pdu.content.membership === 'invite' && typeof pdu.state_key === 'string' && pdu.state_key.endsWith(suffix)) {
      recipients.add(pdu.state_key);
    }
    if (recipients.size === 0) return [];

    // Current power levels, like the members: read once per room and pass, not three reads per event.
    pass.levels ??= readLevels(roomId, pass);
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
      const cached = deps.getRuleset(userId);
      const result = evaluatePushRules(cached instanceof Promise ? await cached : cached, event, {
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
  }
}
