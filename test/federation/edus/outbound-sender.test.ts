import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEduSender } from '../../../src/federation/edus/index.js';
import { createLogger } from '../../../src/http/logger.js';
import type { EduToQueue } from '../../../src/storage/interfaces/index.js';
import type { LocalEphemeralListener } from '../../../src/sync/index.js';
import type { LocalDeviceListChange, LocalDeviceSnapshot } from '../../../src/users/e2e/index.js';

// The outbound EDU sender against fakes: which servers each EDU goes to, and the content of device-list
// updates (stream_id, prev_id chain, deletions) and signing-key updates.

const ROOM = '!r:hs1.test';
const members: Record<string, string[]> = {
  [ROOM]: ['@alice:hs1.test', '@bob:hs2.test', '@carol:hs3.test'],
  '!quiet:hs1.test': ['@alice:hs1.test', '@dan:hs4.test'],
};

function harness(snapshot: LocalDeviceSnapshot) {
  const sent: Array<{ destinations: string[]; edus: EduToQueue[] }> = [];
  let ephemeral: LocalEphemeralListener = () => undefined;
  let deviceLists: (c: LocalDeviceListChange) => void = () => undefined;
  const sender = createEduSender({
    serverName: 'hs1.test',
    logger: createLogger('silent'),
    now: () => 10_000,
    rooms: {
      getRoomMembers: async (roomId) => (members[roomId] ?? []).map((userId) => ({ roomId, userId, membership: 'join' }) as never),
      getRoomsForUser: async (userId) =>
        Object.entries(members)
          .filter(([, users]) => users.includes(userId))
          .map(([roomId]) => ({ roomId, userId, membership: 'join' }) as never),
      getJoinedServersOfRooms: async (roomIds) => new Set(roomIds.flatMap((r) => (members[r] ?? []).map((u) => u.slice(u.indexOf(':') + 1)))),
    },
    sender: { sendEdus: async (destinations, edus) => void sent.push({ destinations: [...destinations].sort(), edus: [...edus] }) },
    sync: { onLocalEphemeral: (l) => ((ephemeral = l), () => undefined) },
    e2e: {
      onLocalDeviceListChange: (l) => ((deviceLists = l), () => undefined),
      localDeviceSnapshot: async () => snapshot,
    },
  });
  return { sender, sent, ephemeral: (c: Parameters<LocalEphemeralListener>[0]) => ephemeral(c), deviceLists: (c: LocalDeviceListChange) => deviceLists(c) };
}

const snapshot: LocalDeviceSnapshot = {
  devices: [
    { deviceId: 'D1', displayName: 'phone', keys: { device_id: 'D1' } },
    { deviceId: 'D2', displayName: null },
  ],
  masterKey: { usage: ['master'] },
  selfSigningKey: { usage: ['self_signing'] },
};

describe('outbound EDU sender', () => {
  test('typing and receipts go to the other servers in the room; presence to every server sharing a room', async () => {
    const h = harness(snapshot);
    h.ephemeral({ kind: 'typing', roomId: ROOM, userId: '@alice:hs1.test', typing: true, timeoutMs: 30_000 });
    h.ephemeral({ kind: 'receipt', roomId: ROOM, receiptType: 'm.read', userId: '@alice:hs1.test', eventId: '$e', data: { ts: 7 } });
    h.ephemeral({ kind: 'presence', userId: '@alice:hs1.test', state: 'online', statusMsg: 'hi', lastActiveTs: 9_000, currentlyActive: true });
    // Changes of remote users (applied from other servers) are never echoed back out.
    h.ephemeral({ kind: 'typing', roomId: ROOM, userId: '@bob:hs2.test', typing: true, timeoutMs: 30_000 });
    await h.sender.flushed();
    assert.equal(h.sent.length, 3);
    const [typing, receipt, presence] = h.sent;
    assert.deepEqual(typing, {
      destinations: ['hs2.test', 'hs3.test'],
      edus: [{ eduType: 'm.typing', content: { room_id: ROOM, user_id: '@alice:hs1.test', typing: true }, coalesceKey: `${ROOM}|@alice:hs1.test` }],
    });
    assert.deepEqual(receipt?.edus[0]?.content, { [ROOM]: { 'm.read': { '@alice:hs1.test': { event_ids: ['$e'], data: { ts: 7 } } } } });
    assert.deepEqual(presence?.destinations, ['hs2.test', 'hs3.test', 'hs4.test']);
    assert.deepEqual(presence?.edus[0]?.content, {
      push: [{ user_id: '@alice:hs1.test', presence: 'online', last_active_ago: 1_000, currently_active: true, status_msg: 'hi' }],
    });
  });

  test('device-list updates carry stream_id and chain prev_id; deletions and cross-signing changes', async () => {
    const h = harness(snapshot);
    h.deviceLists({ userId: '@alice:hs1.test', streamId: 5, deviceIds: ['D1'] });
    await h.sender.flushed();
    h.deviceLists({ userId: '@alice:hs1.test', streamId: 8, deviceIds: ['D2'], deleted: true });
    await h.sender.flushed();
    h.deviceLists({ userId: '@alice:hs1.test', streamId: 9, crossSigning: true });
    await h.sender.flushed();
    assert.deepEqual(h.sent[0]?.destinations, ['hs2.test', 'hs3.test', 'hs4.test']);
    assert.deepEqual(h.sent[0]?.edus, [
      {
        eduType: 'm.device_list_update',
        content: { user_id: '@alice:hs1.test', device_id: 'D1', stream_id: 5, prev_id: [], device_display_name: 'phone', keys: { device_id: 'D1' } },
      },
    ]);
    assert.deepEqual(h.sent[1]?.edus, [
      { eduType: 'm.device_list_update', content: { user_id: '@alice:hs1.test', device_id: 'D2', stream_id: 8, prev_id: [5], deleted: true } },
    ]);
    assert.deepEqual(h.sent[2]?.edus, [
      {
        eduType: 'm.signing_key_update',
        content: { user_id: '@alice:hs1.test', master_key: { usage: ['master'] }, self_signing_key: { usage: ['self_signing'] } },
      },
    ]);
  });
});
