import { canonicalJson } from '../crypto/index.js';
import { forbidden, invalidParam, MatrixError } from '../errors/index.js';
import { isValidRoomAlias, parseServerAcl, powerLevelsView, serverAclAllows, serverNameOf } from '../protocol/index.js';
import type { EventId, RoomId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Requester } from '../types/requester.js';
import type { RoomServiceDeps } from './deps.js';
import type { RoomWriter } from './room-writer.js';
import type { SendOptions } from './types.js';

// Sending: message events (idempotent per client transaction), state events (an identical repeat returns
// the existing event, as Synapse does), redactions, and the m.room.canonical_alias checks.

/** The scope of a client transaction id: the device, else the token / appservice that made the request. */
export function txnScope(requester: Requester): string {
  if (requester.deviceId !== null) return requester.deviceId;
  if (requester.appserviceId !== null) return `as:${requester.appserviceId}`;
  return `token:${requester.accessTokenId ?? 'none'}`;
}

const badAlias = (msg: string) => new MatrixError('M_BAD_ALIAS', 400, msg);

export class Sender {
  constructor(
    private readonly deps: RoomServiceDeps,
    private readonly writer: RoomWriter,
  ) {}

  async sendMessage(requester: Requester, roomId: RoomId, type: string, content: JsonObject, txnId: string, opts: SendOptions = {}): Promise<{ event_id: EventId }> {
    if (type === '') throw invalidParam('Event type must not be empty');
    const txn = { userId: requester.userId, deviceId: txnScope(requester), txnId };
    return this.writer.withRoom(roomId, async (draft) => {
      // Checked under the lock only (a retry is rare; this is one read per send, not two): the first request
      // may have committed, or may still be committing.
      const again = (await this.writer.pendingTxnEvent(txn)) ?? (await this.deps.storage.rooms.getTxnEvent(txn.userId, txn.deviceId, txnId));
      if (again !== undefined) return { event_id: again };
      opts.beforeCreate?.();
      const ev = await draft.append({ type, sender: requester.userId, content, originServerTs: opts.ts }, { txn });
      return { event_id: ev.eventId };
    });
  }

  async sendState(requester: Requester, roomId: RoomId, type: string, stateKey: string, content: JsonObject, opts: SendOptions = {}): Promise<{ event_id: EventId }> {
    if (type === '') throw invalidParam('Event type must not be empty');
    if (type === 'm.room.canonical_alias') await this.checkCanonicalAlias(roomId, content);
    // An ACL that denies this server would cut the room off from us with no way back through federation.
    if (type === 'm.room.server_acl' && stateKey === '' && !serverAclAllows(parseServerAcl(content), this.deps.config.serverName)) {
      throw invalidParam('Refusing to send a server ACL that would deny this server');
    }
    return this.writer.withRoom(roomId, async (draft) => {
      const existing = await draft.stateEvent(type, stateKey);
      if (existing !== undefined && existing.pdu.sender === requester.userId && canonicalJson(existing.pdu.content) === canonicalJson(content)) {
        return { event_id: existing.eventId };
      }
      opts.beforeCreate?.();
      const ev = await draft.append({ type, sender: requester.userId, stateKey, content, originServerTs: opts.ts });
      return { event_id: ev.eventId };
    });
  }

  async redact(
    requester: Requester,
    roomId: RoomId,
    targetId: EventId,
    reason: string | undefined,
    txnId: string,
    opts: SendOptions = {},
  ): Promise<{ event_id: EventId }> {
    const txn = { userId: requester.userId, deviceId: txnScope(requester), txnId };
    return this.writer.withRoom(roomId, async (draft) => {
      const again = (await this.writer.pendingTxnEvent(txn)) ?? (await this.deps.storage.rooms.getTxnEvent(txn.userId, txn.deviceId, txnId));
      if (again !== undefined) return { event_id: again };
      opts.beforeCreate?.();
      const target = await this.deps.storage.rooms.getEvent(targetId);
      let applies = false;
      if (target !== undefined && target.roomId === roomId) {
        if (target.pdu.type === 'm.room.create') throw forbidden('Redacting create events is not permitted');
        const pl = powerLevelsView(draft.version, await draft.stateEvent('m.room.power_levels'), await draft.stateEvent('m.room.create'));
        const own = target.pdu.sender === requester.userId;
        if (!own && pl.userLevel(requester.userId) < pl.redact) throw forbidden("You don't have permission to redact events");
        applies = true;
      }
      const content: JsonObject = reason !== undefined ? { reason } : {};
      const ev = await draft.append(
        { type: 'm.room.redaction', sender: requester.userId, content, redacts: targetId },
        { txn, redactionApplies: applies },
      );
      return { event_id: ev.eventId };
    });
  }

  /** Every alias named must be valid; our own must exist and point at this room (M_BAD_ALIAS otherwise). */
  private async checkCanonicalAlias(roomId: RoomId, content: JsonObject): Promise<void> {
    const names: string[] = [];
    if (content.alias !== undefined && content.alias !== null) {
      if (typeof content.alias !== 'string') throw invalidParam('alias must be a string');
      names.push(content.alias);
    }
    if (content.alt_aliases !== undefined) {
      if (!Array.isArray(content.alt_aliases) || !content.alt_aliases.every((a) => typeof a === 'string')) {
        throw invalidParam('alt_aliases must be an array of strings');
      }
      names.push(...(content.alt_aliases as string[]));
    }
    for (const alias of names) {
      if (!isValidRoomAlias(alias)) throw invalidParam(`Invalid alias: ${alias}`);
      // Remote aliases would need a federation directory query; they are accepted as given.
      if (serverNameOf(alias) !== this.deps.config.serverName) continue;
      const hit = await this.deps.storage.rooms.getRoomIdForAlias(alias);
      if (hit === undefined || hit.roomId !== roomId) throw badAlias(`Room alias ${alias} does not point to the room`);
    }
  }
}
