import { forbidden, invalidParam, MatrixError, notFound } from '../../errors/index.js';
import type { Storage } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { NoticeSink } from '../../types/notices.js';
import type { Requester } from '../../types/requester.js';

// Client-controlled account data (client-server API "Client Config") and room tags ("Room Tagging"), both
// kept in the account_data table: tags are the per-room `m.tag` entry, so a tag change reaches /sync like any
// other room account data. Every write takes a new id on the account data stream and publishes a notice
// after it is stored, which wakes the user's long-polls.

export interface AccountDataServiceDeps {
  storage: Storage;
  notices: NoticeSink;
}

export interface AccountDataService {
  getGlobal(requester: Requester, userId: UserId, type: string): Promise<JsonObject>;
  putGlobal(requester: Requester, userId: UserId, type: string, content: JsonObject): Promise<void>;
  getRoom(requester: Requester, userId: UserId, roomId: RoomId, type: string): Promise<JsonObject>;
  putRoom(requester: Requester, userId: UserId, roomId: RoomId, type: string, content: JsonObject): Promise<void>;
  getTags(requester: Requester, userId: UserId, roomId: RoomId): Promise<{ tags: JsonObject }>;
  putTag(requester: Requester, userId: UserId, roomId: RoomId, tag: string, body: JsonObject): Promise<void>;
  deleteTag(requester: Requester, userId: UserId, roomId: RoomId, tag: string): Promise<void>;
}

/** Types the server manages itself: clients use their dedicated APIs (read markers, push rules). */
const SERVER_MANAGED_TYPES: ReadonlySet<string> = new Set(['m.fully_read', 'm.push_rules']);
const MAX_TAG_LENGTH = 255;

function assertSelf(requester: Requester, userId: UserId, verb: string): void {
  if (requester.userId !== userId) throw forbidden(`Cannot ${verb} account data for other users.`);
}

function assertRoomId(roomId: string): void {
  if (!/^![^:]*(:.+)?$/.test(roomId) || roomId.length > 255) throw invalidParam(`${roomId} is not a valid room ID.`);
}

function assertType(type: string): void {
  if (type === '' || type.length > 255) throw invalidParam('Invalid account data type');
}

function assertWritableType(type: string): void {
  assertType(type);
  if (SERVER_MANAGED_TYPES.has(type)) throw new MatrixError('M_BAD_JSON', 405, `Cannot set ${type} through this API.`);
}

export function createAccountDataService(deps: AccountDataServiceDeps): AccountDataService {
  const { storage, notices } = deps;

  const write = async (userId: UserId, roomId: RoomId | '', type: string, content: JsonObject): Promise<void> => {
    const gen = await storage.streamIdGenerator('account_data', 'stream_id');
    const alloc = gen.getNext();
    try {
      await storage.userData.putAccountData({ userId, roomId, type, content, streamId: alloc.id });
    } finally {
      alloc.done();
    }
    notices.publish({ stream: 'account_data', position: alloc.id, userIds: [userId] });
  };

  const readTags = async (userId: UserId, roomId: RoomId): Promise<JsonObject> => {
    const row = await storage.userData.getAccountData(userId, roomId, 'm.tag');
    const tags = row?.content.tags;
    return typeof tags === 'object' && tags !== null && !Array.isArray(tags) ? { ...tags } : {};
  };

  return {
    async getGlobal(requester, userId, type) {
      assertSelf(requester, userId, 'get');
      assertType(type);
      const row = await storage.userData.getAccountData(userId, '', type);
      if (!row) throw notFound('Account data not found');
      return row.content;
    },
    async putGlobal(requester, userId, type, content) {
      assertSelf(requester, userId, 'add');
      assertWritableType(type);
      await write(userId, '', type, content);
    },
    async getRoom(requester, userId, roomId, type) {
      assertSelf(requester, userId, 'get');
      assertRoomId(roomId);
      assertType(type);
      const row = await storage.userData.getAccountData(userId, roomId, type);
      if (!row) throw notFound('Room account data not found');
      return row.content;
    },
    async putRoom(requester, userId, roomId, type, content) {
      assertSelf(requester, userId, 'add');
      assertRoomId(roomId);
      assertWritableType(type);
      await write(userId, roomId, type, content);
    },
    async getTags(requester, userId, roomId) {
      assertSelf(requester, userId, 'get');
      assertRoomId(roomId);
      return { tags: await readTags(userId, roomId) };
    },
    async putTag(requester, userId, roomId, tag, body) {
      assertSelf(requester, userId, 'add');
      assertRoomId(roomId);
      if (tag === '' || tag.length > MAX_TAG_LENGTH) throw invalidParam(`Tag names must be 1 to ${MAX_TAG_LENGTH} characters`);
      if (body.order !== undefined && (typeof body.order !== 'number' || !Number.isFinite(body.order))) {
        throw invalidParam('order must be a number');
      }
      const tags = await readTags(userId, roomId);
      tags[tag] = body;
      await write(userId, roomId, 'm.tag', { tags });
    },
    async deleteTag(requester, userId, roomId, tag) {
      assertSelf(requester, userId, 'delete');
      assertRoomId(roomId);
      const tags = await readTags(userId, roomId);
      // Deleting a tag that is not there succeeds, as in Synapse; it still is a (no-op) change of m.tag.
      delete tags[tag];
      await write(userId, roomId, 'm.tag', { tags });
    },
  };
}
