import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEduHandler, type EduHandlerDeps } from '../../../src/federation/edus/index.js';
import { createLogger } from '../../../src/http/logger.js';
import type { RemotePresence } from '../../../src/sync/index.js';
import type { JsonObject } from '../../../src/types/json.js';

// The inbound EDU handler's trust rules, against recording fakes: a server speaks only for its own users,
// typing and receipts need the user joined to the room, malformed content is skipped without throwing.

const ROOM = '!room:hs1.test';

function harness(joined: Record<string, string[]> = { [ROOM]: ['@bob:hs2.test', '@alice:hs1.test'] }, acls: Record<string, JsonObject> = {}) {
  const calls = {
    typing: [] as Array<[string, string, boolean]>,
    receipts: [] as Array<[string, string, string, string]>,
    presence: [] as RemotePresence[],
    deviceLists: [] as string[],
    toDevice: [] as Array<[string, string, string, Record<string, Record<string, JsonObject>>]>,
  };
  const deps: EduHandlerDeps = {
    logger: createLogger('silent'),
    rooms: {
      getCurrentStateEvent: async (roomId, type, stateKey) => {
        if (type === 'm.room.server_acl') return acls[roomId] !== undefined ? ({ pdu: { content: acls[roomId] } } as never) : undefined;
        return joined[roomId]?.includes(stateKey ?? '') ? ({ pdu: { content: { membership: 'join' } } } as never) : undefined;
      },
      getRoomsForUser: async (userId) =>
        Object.entries(joined)
          .filter(([, users]) => users.includes(userId))
          .map(([roomId]) => ({ roomId, userId, membership: 'join' }) as never),
    },
    sync: {
      applyRemoteTyping: (roomId, userId, typing) => void calls.typing.push([roomId, userId, typing]),
      applyRemoteReceipt: async (roomId, type, userId, eventId) => void calls.receipts.push([roomId, type, userId, eventId]),
      applyRemotePresence: async (update) => void calls.presence.push(update),
    },
    e2e: {
      applyRemoteDeviceListChange: async (userId) => void calls.deviceLists.push(userId),
      deliverRemoteToDevice: async (sender, type, messageId, messages) => {
        calls.toDevice.push([sender, type, messageId, messages]);
        return 1;
      },
    },
  };
  return { handler: createEduHandler(deps), calls };
}

describe('inbound EDU handler', () => {
  test('typing is applied for the origin\'s joined user only', async () => {
    const { handler, calls } = harness();
    await handler.handleEdu('hs2.test', { edu_type: 'm.typing', content: { room_id: ROOM, user_id: '@bob:hs2.test', typing: true } });
    // hs2 speaking for a user of hs1, and for a user of its own who is not in the room: both dropped.
    await handler.handleEdu('hs2.test', { edu_type: 'm.typing', content: { room_id: ROOM, user_id: '@alice:hs1.test', typing: true } });
    await handler.handleEdu('hs2.test', { edu_type: 'm.typing', content: { room_id: ROOM, user_id: '@eve:hs2.test', typing: true } });
    assert.deepEqual(calls.typing, [[ROOM, '@bob:hs2.test', true]]);
  });

  test('receipts: only m.read, only the origin\'s joined users, first event id', async () => {
    const { handler, calls } = harness();
    await handler.handleEdu('hs2.test', {
      edu_type: 'm.receipt',
      content: {
        [ROOM]: {
          'm.read': {
            '@bob:hs2.test': { event_ids: ['$a', '$b'], data: { ts: 5 } },
            '@alice:hs1.test': { event_ids: ['$forged'], data: { ts: 5 } },
            '@eve:hs2.test': { event_ids: ['$x'], data: { ts: 5 } },
          },
          'm.read.private': { '@bob:hs2.test': { event_ids: ['$p'], data: { ts: 5 } } },
        },
        '!other:hs1.test': { 'm.read': { '@bob:hs2.test': { event_ids: ['$c'], data: {} } } },
      },
    });
    assert.deepEqual(calls.receipts, [[ROOM, 'm.read', '@bob:hs2.test', '$a']]);
  });

  test('typing and receipts of a server the room\'s ACL denies are ignored; other rooms are unaffected', async () => {
    const OTHER = '!other:hs1.test';
    const { handler, calls } = harness(
      { [ROOM]: ['@bob:hs2.test'], [OTHER]: ['@bob:hs2.test'] },
      { [ROOM]: { allow: ['*'], deny: ['HS2.test'] }, [OTHER]: { allow: ['*'], deny: ['hs3.test'] } },
    );
    await handler.handleEdu('hs2.test:8448', { edu_type: 'm.typing', content: { room_id: ROOM, user_id: '@bob:hs2.test:8448', typing: true } });
    await handler.handleEdu('hs2.test', { edu_type: 'm.typing', content: { room_id: ROOM, user_id: '@bob:hs2.test', typing: true } });
    await handler.handleEdu('hs2.test', { edu_type: 'm.typing', content: { room_id: OTHER, user_id: '@bob:hs2.test', typing: true } });
    await handler.handleEdu('hs2.test', {
      edu_type: 'm.receipt',
      content: {
        [ROOM]: { 'm.read': { '@bob:hs2.test': { event_ids: ['$denied'], data: {} } } },
        [OTHER]: { 'm.read': { '@bob:hs2.test': { event_ids: ['$ok'], data: {} } } },
      },
    });
    assert.deepEqual(calls.typing, [[OTHER, '@bob:hs2.test', true]]);
    assert.deepEqual(calls.receipts, [[OTHER, 'm.read', '@bob:hs2.test', '$ok']]);
  });

  test('presence: the origin\'s users who share a room with us', async () => {
    const { handler, calls } = harness();
    await handler.handleEdu('hs2.test', {
      edu_type: 'm.presence',
      content: {
        push: [
          { user_id: '@bob:hs2.test', presence: 'online', last_active_ago: 10, currently_active: true, status_msg: 'hi' },
          { user_id: '@alice:hs1.test', presence: 'offline', last_active_ago: 10 },
          { user_id: '@stranger:hs2.test', presence: 'online', last_active_ago: 10 },
          { user_id: '@bob:hs2.test', presence: 'dancing', last_active_ago: 10 },
        ],
      },
    });
    assert.deepEqual(calls.presence, [{ userId: '@bob:hs2.test', state: 'online', statusMsg: 'hi', lastActiveAgo: 10, currentlyActive: true }]);
  });

  test('device list and signing key updates only for the origin\'s users', async () => {
    const { handler, calls } = harness();
    await handler.handleEdu('hs2.test', { edu_type: 'm.device_list_update', content: { user_id: '@bob:hs2.test', device_id: 'D', stream_id: 3, prev_id: [] } });
    await handler.handleEdu('hs2.test', { edu_type: 'm.signing_key_update', content: { user_id: '@bob:hs2.test', master_key: {} } });
    await handler.handleEdu('hs2.test', { edu_type: 'm.device_list_update', content: { user_id: '@alice:hs1.test', device_id: 'D', stream_id: 3 } });
    assert.deepEqual(calls.deviceLists, ['@bob:hs2.test', '@bob:hs2.test']);
  });

  test('to-device: the sender must belong to the origin; message bodies must be objects', async () => {
    const { handler, calls } = harness();
    await handler.handleEdu('hs2.test', {
      edu_type: 'm.direct_to_device',
      content: { sender: '@bob:hs2.test', type: 'm.room_key_request', message_id: 'm1', messages: { '@alice:hs1.test': { D1: { a: 1 }, D2: 'nope' } } },
    });
    await handler.handleEdu('hs2.test', {
      edu_type: 'm.direct_to_device',
      content: { sender: '@alice:hs1.test', type: 'x', message_id: 'm2', messages: { '@alice:hs1.test': { D1: {} } } },
    });
    assert.deepEqual(calls.toDevice, [['@bob:hs2.test', 'm.room_key_request', 'm1', { '@alice:hs1.test': { D1: { a: 1 } } }]]);
  });

  test('unknown EDU types and non-object content are ignored without throwing', async () => {
    const { handler, calls } = harness();
    await handler.handleEdu('hs2.test', { edu_type: 'org.example.custom', content: { anything: true } });
    await handler.handleEdu('hs2.test', { edu_type: 'm.typing', content: 'not an object' });
    await handler.handleEdu('hs2.test', { edu_type: 'm.receipt', content: { [ROOM]: 'bad' } });
    assert.equal(calls.typing.length + calls.receipts.length, 0);
  });
});
