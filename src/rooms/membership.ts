import { forbidden, invalidParam, MatrixError, notFound } from '../errors/index.js';
import { isValidRoomAlias, isValidRoomId, isValidUserId, serverNameOf } from '../protocol/index.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Requester } from '../types/requester.js';
import type { RoomServiceDeps } from './deps.js';
import { profileFields, withReason } from './member-content.js';
import type { RoomDraft } from './room-draft.js';
import type { RoomWriter } from './room-writer.js';
import { restrictedJoinAuthoriser } from './restricted-join.js';
import type { JoinOptions } from './types.js';

// Membership changes: join, knock, leave (also rejects invites and retracts knocks), invite, kick, ban,
// unban, forget. The auth rules decide; the checks here only turn the common refusals into the clearer
// errors Synapse gives. Rooms this server has no member in are joined, knocked on and left through the
// remote-membership port (federation, wired in main.ts).

export class Memberships {
  constructor(
    private readonly deps: RoomServiceDeps,
    private readonly writer: RoomWriter,
  ) {}

  /**
   * A room id, or the room an alias points at, with the servers the alias lists (404 M_NOT_FOUND otherwise).
   * Another server's alias is asked of that server over federation.
   */
  async resolveRoom(roomIdOrAlias: string): Promise<{ roomId: RoomId; servers: string[] }> {
    if (roomIdOrAlias.startsWith('#')) {
      if (!isValidRoomAlias(roomIdOrAlias)) throw invalidParam(`Invalid room alias: ${roomIdOrAlias}`);
      const port = this.deps.remoteMembership;
      if (serverNameOf(roomIdOrAlias) !== this.deps.config.serverName && port !== undefined) {
        const remote = await port.resolveAlias(roomIdOrAlias);
        return { roomId: remote.room_id, servers: remote.servers };
      }
      const hit = await this.deps.storage.rooms.getRoomIdForAlias(roomIdOrAlias);
      if (hit === undefined) throw notFound(`Room alias ${roomIdOrAlias} not found`);
      return { roomId: hit.roomId, servers: hit.servers };
    }
    if (!isValidRoomId(roomIdOrAlias)) throw invalidParam(`${roomIdOrAlias} is not a valid room id or alias`);
    return { roomId: roomIdOrAlias, servers: [] };
  }

  async join(requester: Requester, roomIdOrAlias: string, opts: JoinOptions = {}): Promise<{ room_id: RoomId }> {
    const { roomId, servers } = await this.resolveRoom(roomIdOrAlias);
    const userId = requester.userId;
    const joinOpts = { ...opts, servers: [...(opts.servers ?? []), ...servers] };
    if (await this.joinRemotely(userId, roomId, joinOpts)) return { room_id: roomId };
    try {
      await this.joinLocally(requester, roomId, opts);
    } catch (err) {
      // A restricted room we are in, but where none of our members may invite: another resident server can
      // authorise the join (as Synapse does, through make_join / send_join even though we hold the room).
      if (!(err instanceof MatrixError) || err.errcode !== 'M_UNABLE_TO_GRANT_JOIN') throw err;
      if (!(await this.joinRemotely(userId, roomId, joinOpts, true))) throw err;
    }
    return { room_id: roomId };
  }

  private async joinLocally(requester: Requester, roomId: RoomId, opts: JoinOptions): Promise<void> {
    const userId = requester.userId;
    await this.writer.withRoom(roomId, async (draft) => {
      if (requester.isGuest && (await draft.stateContent('m.room.guest_access'))?.guest_access !== 'can_join') {
        throw new MatrixError('M_GUEST_ACCESS_FORBIDDEN', 403, 'Guest access is not allowed in this room');
      }
      const content: JsonObject = withReason({ membership: 'join', ...(await profileFields(this.deps, userId)) }, opts.reason);
      const current = await draft.stateEvent('m.room.member', userId);
      // Joining again with nothing changed is a no-op (Synapse answers with the existing event).
      if (current !== undefined && current.pdu.content.membership === 'join' && sameProfile(current.pdu.content, content) && opts.reason === undefined) {
        return;
      }
      if (current?.pdu.content.membership === 'ban') throw forbidden('You are banned from this room');
      const via = await restrictedJoinAuthoriser(this.deps, draft, userId);
      if (via !== undefined) content.join_authorised_via_users_server = via;
      await draft.append({ type: 'm.room.member', sender: userId, stateKey: userId, content });
    });
  }

  /** Bulk joins of local users (see RoomService.joinLocalUsers); users already joined are skipped. */
  async joinMany(roomId: RoomId, userIds: readonly UserId[], perBatch = 500): Promise<void> {
    const ours = this.deps.config.serverName;
    for (let i = 0; i < userIds.length; i += perBatch) {
      const batch = userIds.slice(i, i + perBatch);
      await this.writer.withRoom(roomId, async (draft) => {
        for (const userId of batch) {
          if (serverNameOf(userId) !== ours) throw invalidParam(`${userId} is not a user of this server`);
          if ((await draft.membership(userId)) === 'join') continue;
          const content: JsonObject = { membership: 'join', ...(await profileFields(this.deps, userId)) };
          await draft.append({ type: 'm.room.member', sender: userId, stateKey: userId, content });
        }
      });
    }
  }

  /**
   * Joins through another server (make_join / send_join via the federation port) when this server has no
   * joined member in the room (or, `evenIfResident`, cannot authorise the join itself). Returns false when
   * the join is ours to make locally.
   */
  private async joinRemotely(userId: UserId, roomId: RoomId, opts: JoinOptions, evenIfResident = false): Promise<boolean> {
    const port = this.deps.remoteMembership;
    if (port === undefined) return false;
    const servers = await this.remoteServers(userId, roomId, opts.servers ?? [], evenIfResident);
    if (servers === null) return false;
    const content: JsonObject = withReason({ membership: 'join', ...(await profileFields(this.deps, userId)) }, opts.reason);
    await port.join(userId, roomId, servers, content);
    return true;
  }

  /**
   * The servers to join (or knock) through when this server has no joined member in the room: those the
   * client named, the room id's server, and the servers we saw in the room (the inviter's first); null when
   * the membership change is ours to make locally.
   */
  private async remoteServers(userId: UserId, roomId: RoomId, given: readonly string[], evenIfResident = false): Promise<string[] | null> {
    const ours = this.deps.config.serverName;
    const room = await this.deps.storage.rooms.getRoom(roomId);
    if (room !== undefined && !evenIfResident) {
      const members = await this.deps.storage.rooms.getRoomMembers(roomId, ['join']);
      if (members.some((m) => serverNameOf(m.userId) === ours)) return null;
    }
    const servers = new Set<string>(given);
    const roomServer = serverNameOf(roomId);
    if (roomServer !== undefined) servers.add(roomServer);
    if (room !== undefined) {
      // Servers we saw in the room are candidates too, the inviter's first.
      const own = await this.deps.storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', userId);
      if (own !== undefined) servers.add(serverNameOf(own.pdu.sender) ?? ours);
      for (const m of await this.deps.storage.rooms.getRoomMembers(roomId)) servers.add(serverNameOf(m.userId) ?? ours);
    }
    servers.delete(ours);
    if (servers.size === 0) {
      if (room === undefined) throw notFound(`Room ${roomId} is not known to this server and no server to join through was given`);
      return null;
    }
    return [...servers];
  }

  /**
   * Rejects an invite (or retracts a knock) in a room this server has no joined member in: the leave must
   * go through a server in the room (make_leave / send_leave), the inviter's first.
   */
  private async leaveRemotely(userId: UserId, roomId: RoomId, reason: string | undefined): Promise<boolean> {
    const port = this.deps.remoteMembership;
    if (port === undefined) return false;
    const ours = this.deps.config.serverName;
    const own = await this.deps.storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', userId);
    const m = own?.pdu.content.membership;
    if (own === undefined || (m !== 'invite' && m !== 'knock')) return false;
    const members = await this.deps.storage.rooms.getRoomMembers(roomId, ['join']);
    if (members.some((x) => serverNameOf(x.userId) === ours)) return false;
    const servers = new Set<string>();
    const inviter = serverNameOf(own.pdu.sender);
    if (inviter !== undefined) servers.add(inviter);
    const roomServer = serverNameOf(roomId);
    if (roomServer !== undefined) servers.add(roomServer);
    servers.delete(ours);
    if (servers.size === 0) return false;
    await port.leave(userId, roomId, [...servers], withReason({ membership: 'leave' }, reason));
    return true;
  }

  async knock(requester: Requester, roomIdOrAlias: string, opts: JoinOptions = {}): Promise<{ room_id: RoomId }> {
    const { roomId, servers } = await this.resolveRoom(roomIdOrAlias);
    const userId = requester.userId;
    const port = this.deps.remoteMembership;
    const remote = port !== undefined ? await this.remoteServers(userId, roomId, [...(opts.servers ?? []), ...servers]) : null;
    if (remote !== null && port !== undefined) {
      const own = await this.deps.storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', userId);
      const current = own?.pdu.content.membership;
      if (current === 'invite') throw forbidden('You are already invited to this room');
      if (current === 'ban') throw forbidden('You are banned from this room');
      await port.knock(userId, roomId, remote, withReason({ membership: 'knock', ...(await profileFields(this.deps, userId)) }, opts.reason));
      return { room_id: roomId };
    }
    await this.writer.withRoom(roomId, async (draft) => {
      if (!draft.version.knocking) throw forbidden(`Room version ${draft.version.id} does not support knocking`);
      const current = await draft.membership(userId);
      if (current === 'join') throw forbidden('You are already in this room');
      if (current === 'ban') throw forbidden('You are banned from this room');
      if (current === 'invite') throw forbidden('You are already invited to this room');
      const content = withReason({ membership: 'knock', ...(await profileFields(this.deps, userId)) }, opts.reason);
      await draft.append({ type: 'm.room.member', sender: userId, stateKey: userId, content });
    });
    return { room_id: roomId };
  }

  async leave(requester: Requester, roomId: RoomId, reason?: string): Promise<void> {
    const userId = requester.userId;
    if (await this.leaveRemotely(userId, roomId, reason)) return;
    await this.writer.withRoom(roomId, async (draft) => {
      const current = await draft.stateEvent('m.room.member', userId);
      if (current === undefined) throw forbidden(`You are not a member of room ${roomId}`);
      // Leaving twice is a no-op, as in Synapse.
      if (current.pdu.content.membership === 'leave') return;
      if (current.pdu.content.membership === 'ban') throw forbidden('You are banned from this room');
      await draft.append({ type: 'm.room.member', sender: userId, stateKey: userId, content: withReason({ membership: 'leave' }, reason) });
    });
  }

  async invite(requester: Requester, roomId: RoomId, target: UserId, reason?: string, extra: JsonObject = {}): Promise<void> {
    checkTarget(target);
    const port = this.deps.remoteMembership;
    const remote = serverNameOf(target) !== this.deps.config.serverName;
    // A remote invitee's server must countersign the invite (federation /invite).
    if (remote && port === undefined) throw forbidden(`Cannot invite ${target}: this server does not federate`);
    await this.writer.withRoom(roomId, async (draft) => {
      const current = await draft.membership(target);
      if (current === 'join') throw forbidden(`${target} is already in the room.`);
      if (current === 'ban') throw forbidden(`${target} is banned from the room`);
      const profile = remote ? {} : await profileFields(this.deps, target);
      const ev = await draft.append({ type: 'm.room.member', sender: requester.userId, stateKey: target, content: withReason({ ...extra, membership: 'invite', ...profile }, reason) });
      if (remote && port !== undefined) {
        const countersigned = await port.invite(roomId, draft.version.id, ev.pdu, await inviteRoomState(draft, requester.userId));
        const pending = draft.pending[draft.pending.length - 1];
        if (pending === undefined || pending.eventId !== ev.eventId) throw new Error('the invite is not the last drafted event');
        pending.pdu = { ...ev.pdu, signatures: { ...countersigned.signatures, ...ev.pdu.signatures } };
      }
    });
  }

  async kick(requester: Requester, roomId: RoomId, target: UserId, reason?: string): Promise<void> {
    checkTarget(target);
    await this.writer.withRoom(roomId, async (draft) => {
      const current = await draft.membership(target);
      if (current !== 'join' && current !== 'invite' && current !== 'knock') throw forbidden('The target user is not in the room');
      await this.other(draft, requester.userId, target, withReason({ membership: 'leave' }, reason));
    });
  }

  async ban(requester: Requester, roomId: RoomId, target: UserId, reason?: string): Promise<void> {
    checkTarget(target);
    await this.writer.withRoom(roomId, async (draft) => {
      await this.other(draft, requester.userId, target, withReason({ membership: 'ban' }, reason));
    });
  }

  async unban(requester: Requester, roomId: RoomId, target: UserId, reason?: string): Promise<void> {
    checkTarget(target);
    await this.writer.withRoom(roomId, async (draft) => {
      if ((await draft.membership(target)) !== 'ban') throw forbidden('The target user is not banned');
      await this.other(draft, requester.userId, target, withReason({ membership: 'leave' }, reason));
    });
  }

  async forget(requester: Requester, roomId: RoomId): Promise<void> {
    const current = await this.deps.storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', requester.userId);
    const m = current?.pdu.content.membership;
    if (m === 'join' || m === 'invite' || m === 'knock') {
      throw new MatrixError('M_UNKNOWN', 400, 'The user has not left the room');
    }
    await this.deps.storage.rooms.forgetRoom(requester.userId, roomId);
  }

  private async other(draft: RoomDraft, sender: UserId, target: UserId, content: JsonObject): Promise<void> {
    await draft.append({ type: 'm.room.member', sender, stateKey: target, content });
  }
}

function checkTarget(userId: string): void {
  if (!isValidUserId(userId)) throw invalidParam(`Invalid user id: ${userId}`);
}

function sameProfile(a: JsonObject, b: JsonObject): boolean {
  return a.displayname === b.displayname && a.avatar_url === b.avatar_url;
}

/** State shown to a remote invitee before joining (full PDUs, which include the stripped fields). */
const INVITE_STATE_TYPES = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'];

async function inviteRoomState(draft: RoomDraft, inviter: UserId): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  for (const t of INVITE_STATE_TYPES) {
    const ev = await draft.stateEvent(t);
    if (ev !== undefined) out.push(ev.pdu as unknown as JsonObject);
  }
  const member = await draft.stateEvent('m.room.member', inviter);
  if (member !== undefined) out.push(member.pdu as unknown as JsonObject);
  return out;
}
