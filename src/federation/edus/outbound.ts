import type { Logger } from '../../http/logger.js';
import type { EduToQueue } from '../../storage/interfaces/index.js';
import type { LocalEphemeralChange, SyncService } from '../../sync/index.js';
import type { UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { E2eService, LocalDeviceListChange } from '../../users/e2e/index.js';
import type { TransactionSender } from '../outbound/index.js';
import { serversInRoom, serversSharingRoomWith, type MembershipReader } from './destinations.js';

// Outbound EDUs from local changes: m.typing and m.receipt to the servers in the room, m.presence and
// m.device_list_update / m.signing_key_update to every server sharing a room with the user. Sending is
// queued durably by the transaction sender; failures here are logged and never reach the local write.

export interface EduSenderDeps {
  serverName: string;
  logger: Logger;
  now: () => number;
  rooms: MembershipReader;
  sender: Pick<TransactionSender, 'sendEdus'>;
  sync: Pick<SyncService, 'onLocalEphemeral'>;
  e2e: Pick<E2eService, 'onLocalDeviceListChange' | 'localDeviceSnapshot'>;
}

export interface EduSender {
  /** Stops listening (shutdown, tests). */
  close(): void;
  /** Resolves when every EDU triggered so far has been queued (tests). */
  flushed(): Promise<void>;
}

export function createEduSender(deps: EduSenderDeps): EduSender {
  const log = deps.logger;
  const pending = new Set<Promise<void>>();
  /** The stream id of the last device-list update sent per user: the next one's prev_id. */
  const lastDeviceListId = new Map<UserId, number>();
  const isLocal = (userId: string) => userId.endsWith(`:${deps.serverName}`);

  const track = (work: () => Promise<void>, what: string) => {
    const p = work()
      .catch((err: unknown) => log.warn({ err, what }, 'could not queue EDUs'))
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  const send = async (destinations: Set<string>, edus: EduToQueue[]) => {
    destinations.delete(deps.serverName);
    if (destinations.size > 0 && edus.length > 0) await deps.sender.sendEdus(destinations, edus);
  };

  function ephemeral(change: LocalEphemeralChange): void {
    if (!isLocal(change.userId)) return;
    if (change.kind === 'typing') {
      track(async () => {
        const content = { room_id: change.roomId, user_id: change.userId, typing: change.typing };
        await send(await serversInRoom(deps.rooms, change.roomId), [
          { eduType: 'm.typing', content, coalesceKey: `${change.roomId}|${change.userId}` },
        ]);
      }, 'm.typing');
    } else if (change.kind === 'receipt') {
      track(async () => {
        const content = {
          [change.roomId]: { [change.receiptType]: { [change.userId]: { event_ids: [change.eventId], data: change.data } } },
        };
        const threadKey = typeof change.data.thread_id === 'string' ? change.data.thread_id : '';
        await send(await serversInRoom(deps.rooms, change.roomId), [
          { eduType: 'm.receipt', content, coalesceKey: `${change.roomId}|${change.receiptType}|${change.userId}|${threadKey}` },
        ]);
      }, 'm.receipt');
    } else {
      track(async () => {
        const entry: JsonObject = {
          user_id: change.userId,
          presence: change.state,
          last_active_ago: Math.max(0, deps.now() - change.lastActiveTs),
          currently_active: change.currentlyActive,
        };
        if (change.statusMsg !== null) entry.status_msg = change.statusMsg;
        await send(await serversSharingRoomWith(deps.rooms, change.userId), [
          { eduType: 'm.presence', content: { push: [entry] }, coalesceKey: change.userId },
        ]);
      }, 'm.presence');
    }
  }

  async function deviceListEdus(change: LocalDeviceListChange): Promise<EduToQueue[]> {
    const edus: EduToQueue[] = [];
    const prev = lastDeviceListId.get(change.userId);
    lastDeviceListId.set(change.userId, change.streamId);
    const prevId = prev !== undefined && prev < change.streamId ? [prev] : [];
    const snapshot = await deps.e2e.localDeviceSnapshot(change.userId);
    const onlyCrossSigning = change.crossSigning === true && change.deviceIds === undefined;
    if (!onlyCrossSigning) {
      const wanted = change.deviceIds === undefined ? null : new Set(change.deviceIds);
      if (change.deleted === true) {
        for (const deviceId of change.deviceIds ?? []) {
          edus.push({
            eduType: 'm.device_list_update',
            content: { user_id: change.userId, device_id: deviceId, stream_id: change.streamId, prev_id: prevId, deleted: true },
          });
        }
      } else {
        for (const d of snapshot.devices) {
          if (wanted !== null && !wanted.has(d.deviceId)) continue;
          const content: JsonObject = { user_id: change.userId, device_id: d.deviceId, stream_id: change.streamId, prev_id: prevId };
          if (d.displayName !== null) content.device_display_name = d.displayName;
          if (d.keys !== undefined) content.keys = d.keys;
          edus.push({ eduType: 'm.device_list_update', content });
        }
      }
    }
    // Cross-signing keys changed, or we do not know what did: tell the servers the current keys too.
    if (change.crossSigning === true || change.deviceIds === undefined) {
      if (snapshot.masterKey !== undefined || snapshot.selfSigningKey !== undefined) {
        const content: JsonObject = { user_id: change.userId };
        if (snapshot.masterKey !== undefined) content.master_key = snapshot.masterKey;
        if (snapshot.selfSigningKey !== undefined) content.self_signing_key = snapshot.selfSigningKey;
        edus.push({ eduType: 'm.signing_key_update', content });
      }
    }
    return edus;
  }

  function deviceLists(change: LocalDeviceListChange): void {
    track(async () => {
      const destinations = await serversSharingRoomWith(deps.rooms, change.userId);
      destinations.delete(deps.serverName);
      // Nobody remote to tell; the next change starts a fresh chain for them anyway.
      if (destinations.size === 0) return;
      await send(destinations, await deviceListEdus(change));
    }, 'm.device_list_update');
  }

  const unsubscribes = [deps.sync.onLocalEphemeral(ephemeral), deps.e2e.onLocalDeviceListChange(deviceLists)];
  return {
    close() {
      for (const u of unsubscribes) u();
    },
    async flushed() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
