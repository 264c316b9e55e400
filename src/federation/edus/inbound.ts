import type { Logger } from '../../http/logger.js';
import { parseServerAcl, serverAclAllows, serverNameOf } from '../../protocol/index.js';
import type { RoomReadStore } from '../../storage/interfaces/index.js';
import type { PresenceState } from '../../storage/interfaces/index.js';
import type { SyncService } from '../../sync/index.js';
import type { JsonObject } from '../../types/json.js';
import type { E2eService } from '../../users/e2e/index.js';

// Inbound EDUs (server-server API, "EDUs"): each transaction's EDUs are handed here one by one with the
// authenticated origin. The one rule throughout: a server speaks only for its own users. An EDU about
// another server's user is dropped; typing and receipts also need the user joined to the room here.
// Malformed parts are skipped (EDUs are best effort: the spec gives no way to report them back).

export interface InboundEdu {
  edu_type: string;
  content: unknown;
}

export interface EduHandler {
  /** Applies one EDU sent by `origin`. Never throws for bad content; storage errors propagate. */
  handleEdu(origin: string, edu: InboundEdu): Promise<void>;
}

export interface EduHandlerDeps {
  logger: Logger;
  rooms: Pick<RoomReadStore, 'getCurrentStateEvent' | 'getRoomsForUser'>;
  sync: Pick<SyncService, 'applyRemoteTyping' | 'applyRemoteReceipt' | 'applyRemotePresence'>;
  e2e: Pick<E2eService, 'applyRemoteDeviceListChange' | 'deliverRemoteToDevice'>;
}

/** How long a remote typing notification lasts without a refresh (Synapse's federation timeout is capped the same way). */
const REMOTE_TYPING_TIMEOUT_MS = 30_000;
const PRESENCE_STATES: ReadonlySet<string> = new Set(['online', 'offline', 'unavailable']);

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function createEduHandler(deps: EduHandlerDeps): EduHandler {
  const log = deps.logger;
  const ownedBy = (userId: unknown, origin: string): userId is string => typeof userId === 'string' && serverNameOf(userId) === origin;
  // Typing and receipts are local to a room, so the room's server ACL applies to them (spec, "Server Access
  // Control Lists"): those of a denied origin are ignored.
  const aclAllows = async (roomId: string, origin: string) => {
    const acl = await deps.rooms.getCurrentStateEvent(roomId, 'm.room.server_acl', '');
    return acl === undefined || serverAclAllows(parseServerAcl(acl.pdu.content), origin);
  };
  const isJoined = async (roomId: string, userId: string) =>
    (await deps.rooms.getCurrentStateEvent(roomId, 'm.room.member', userId))?.pdu.content.membership === 'join';

  async function typing(origin: string, content: JsonObject): Promise<void> {
    const { room_id: roomId, user_id: userId, typing: isTyping } = content;
    if (typeof roomId !== 'string' || typeof isTyping !== 'boolean') return;
    if (!(await aclAllows(roomId, origin))) {
      log.debug({ origin, roomId }, 'dropping typing EDU of a server the room ACL denies');
      return;
    }
    if (!ownedBy(userId, origin) || !(await isJoined(roomId, userId))) {
      log.debug({ origin, roomId, userId }, 'dropping typing EDU for a user the origin does not own or who is not joined');
      return;
    }
    deps.sync.applyRemoteTyping(roomId, userId, isTyping, REMOTE_TYPING_TIMEOUT_MS);
  }

  async function receipts(origin: string, content: JsonObject): Promise<void> {
    for (const [roomId, byType] of Object.entries(content)) {
      if (!isObject(byType)) continue;
      if (!(await aclAllows(roomId, origin))) {
        log.debug({ origin, roomId }, 'dropping receipts of a server the room ACL denies');
        continue;
      }
      for (const [receiptType, byUser] of Object.entries(byType)) {
        // Private receipts never leave their server; anything else unknown is ignored too.
        if (receiptType !== 'm.read' || !isObject(byUser)) continue;
        for (const [userId, receipt] of Object.entries(byUser)) {
          if (!isObject(receipt) || !Array.isArray(receipt.event_ids)) continue;
          const eventId = receipt.event_ids.find((e): e is string => typeof e === 'string');
          if (eventId === undefined) continue;
          if (!ownedBy(userId, origin) || !(await isJoined(roomId, userId))) {
            log.debug({ origin, roomId, userId }, 'dropping receipt for a user the origin does not own or who is not joined');
            continue;
          }
          const data = isObject(receipt.data) ? receipt.data : {};
          await deps.sync.applyRemoteReceipt(roomId, receiptType, userId, eventId, data);
        }
      }
    }
  }

  async function presence(origin: string, content: JsonObject): Promise<void> {
    if (!Array.isArray(content.push)) return;
    for (const entry of content.push) {
      if (!isObject(entry) || !ownedBy(entry.user_id, origin)) continue;
      if (typeof entry.presence !== 'string' || !PRESENCE_STATES.has(entry.presence)) continue;
      // Presence of users nobody here shares a room with would only fill the table.
      if ((await deps.rooms.getRoomsForUser(entry.user_id, ['join'])).length === 0) continue;
      await deps.sync.applyRemotePresence({
        userId: entry.user_id,
        state: entry.presence as PresenceState,
        statusMsg: typeof entry.status_msg === 'string' ? entry.status_msg : null,
        lastActiveAgo: typeof entry.last_active_ago === 'number' ? entry.last_active_ago : 0,
        currentlyActive: entry.currently_active === true,
      });
    }
  }

  async function deviceListUpdate(origin: string, content: JsonObject): Promise<void> {
    if (!ownedBy(content.user_id, origin)) return;
    await deps.e2e.applyRemoteDeviceListChange(content.user_id);
  }

  async function directToDevice(origin: string, content: JsonObject): Promise<void> {
    const { sender, type, message_id: messageId, messages } = content;
    if (!ownedBy(sender, origin) || typeof type !== 'string' || typeof messageId !== 'string' || !isObject(messages)) return;
    const valid: Record<string, Record<string, JsonObject>> = {};
    for (const [userId, byDevice] of Object.entries(messages)) {
      if (!isObject(byDevice)) continue;
      const devices: Record<string, JsonObject> = {};
      for (const [deviceId, body] of Object.entries(byDevice)) if (isObject(body)) devices[deviceId] = body;
      valid[userId] = devices;
    }
    await deps.e2e.deliverRemoteToDevice(sender, type, messageId, valid);
  }

  return {
    async handleEdu(origin, edu) {
      if (!isObject(edu.content)) return;
      switch (edu.edu_type) {
        case 'm.typing':
          return typing(origin, edu.content);
        case 'm.receipt':
          return receipts(origin, edu.content);
        case 'm.presence':
          return presence(origin, edu.content);
        case 'm.device_list_update':
        case 'm.signing_key_update':
          return deviceListUpdate(origin, edu.content);
        case 'm.direct_to_device':
          return directToDevice(origin, edu.content);
        default:
          log.debug({ origin, eduType: edu.edu_type }, 'ignoring an EDU of an unknown type');
      }
    },
  };
}
