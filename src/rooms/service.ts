import type { Requester } from '../types/requester.js';
import { createRoom } from './create-room.js';
import type { RoomServiceDeps } from './deps.js';
import { Memberships } from './membership.js';
import { RemoteHistory } from './remote-history.js';
import { RemoteInput } from './remote-input.js';
import { RoomWriter } from './room-writer.js';
import { completePartialState } from './partial-state.js';
import { Sender } from './send.js';
import type { RoomService } from './types.js';
import { upgradeRoom } from './upgrade-room.js';
import { StateGroupCollector } from './state-group-gc.js';
import { allowedWhileSuspended, assertMayRedactWhileSuspended, assertNotSuspended } from './suspension.js';
import { assertInviteAllowed, invitesBlocked } from './invite-permission.js';
import type { UserId } from '../types/ids.js';
import { leaveAllRooms, propagateProfile } from './user-rooms.js';

/** Builds the room writer service: the one place that creates and persists room events. */
export function createRoomService(deps: RoomServiceDeps): RoomService {
  const writer = new RoomWriter(deps);
  const members = new Memberships(deps, writer);
  const sender = new Sender(deps, writer);
  const remote = new RemoteInput(deps, writer);
  const history = new RemoteHistory(deps, writer);
  const stateGroupGc = new StateGroupCollector(deps.storage.rooms, (roomId, fn) => writer.locked(roomId, fn), deps.logger.child({ job: 'state-group-gc' }));
  return {
    stateGroupGc,
    remote: {
      knowsRoom: (roomId) => remote.knowsRoom(roomId),
      receive: (roomId, event, opts) => remote.receive(roomId, event, opts),
      storeOutliers: (roomId, events) => history.storeOutliers(roomId, events),
      persistBackfilled: (roomId, events, prevStates) => history.persistBackfilled(roomId, events, prevStates),
      membershipTemplate: (roomId, userId, membership, content) => remote.membershipTemplate(roomId, userId, membership, content),
      assertInviteAllowed: (userId) => assertInviteAllowed(deps, userId),
      checkRestrictedJoin: (roomId, userId) => remote.checkRestrictedJoin(roomId, userId),
      persistJoinedRoom: (roomId, version, state, authChain, join, partial) => remote.persistJoinedRoom(roomId, version, state, authChain, join, partial),
      completePartialState: (roomId, state, authChain) => completePartialState(deps, writer, roomId, state, authChain),
      storeOutOfRoomMembership: (roomId, version, event) => remote.storeOutOfRoomMembership(roomId, version, event),
    },
    createRoom: async (requester: Requester, body) => {
      await assertNotSuspended(deps, requester);
      if (body.invite !== undefined && body.invite.length > 0) {
        // Users who block invites are left out; the room is still created (spec "Invite permission").
        const allowed: string[] = [];
        for (const u of body.invite) if (!(await invitesBlocked(deps, u as UserId))) allowed.push(u);
        body = { ...body, invite: allowed };
      }
      return createRoom(deps, writer, requester, body, (roomId, userId, isDirect) =>
        members.invite(requester, roomId, userId, undefined, isDirect ? { is_direct: true } : {}),
      );
    },
    sendMessageEvent: async (requester, roomId, type, content, txnId, opts) => {
      await assertNotSuspended(deps, requester);
      return sender.sendMessage(requester, roomId, type, content, txnId, opts);
    },
    sendStateEvent: async (requester, roomId, type, stateKey, content, opts) => {
      if (!allowedWhileSuspended(requester, type, stateKey, content)) await assertNotSuspended(deps, requester);
      if (type === 'm.room.member' && content.membership === 'invite') await assertInviteAllowed(deps, stateKey as UserId);
      return sender.sendState(requester, roomId, type, stateKey, content, opts);
    },
    redact: async (requester, roomId, eventId, reason, txnId, opts) => {
      await assertMayRedactWhileSuspended(deps, requester, roomId, eventId);
      return sender.redact(requester, roomId, eventId, reason, txnId, opts);
    },
    join: async (requester, roomIdOrAlias, opts) => {
      await assertNotSuspended(deps, requester);
      return members.join(requester, roomIdOrAlias, opts);
    },
    knock: async (requester, roomIdOrAlias, opts) => {
      await assertNotSuspended(deps, requester);
      return members.knock(requester, roomIdOrAlias, opts);
    },
    invite: async (requester, roomId, userId, reason) => {
      await assertNotSuspended(deps, requester);
      await assertInviteAllowed(deps, userId);
      return members.invite(requester, roomId, userId, reason);
    },
    kick: (requester, roomId, userId, reason) => members.kick(requester, roomId, userId, reason),
    ban: (requester, roomId, userId, reason) => members.ban(requester, roomId, userId, reason),
    unban: (requester, roomId, userId, reason) => members.unban(requester, roomId, userId, reason),
    leave: (requester, roomId, reason) => members.leave(requester, roomId, reason),
    forget: (requester, roomId) => members.forget(requester, roomId),
    upgradeRoom: async (requester, roomId, newVersion, additionalCreators) => {
      await assertNotSuspended(deps, requester);
      return upgradeRoom(deps, writer, requester, roomId, newVersion, additionalCreators);
    },
    propagateProfile: (userId) => propagateProfile(deps, writer, userId),
    leaveAllRooms: (userId) => leaveAllRooms(deps, writer, userId),
    joinLocalUsers: (roomId, userIds) => members.joinMany(roomId, userIds),
  };
}
