import { invalidParam, MatrixError } from '../errors/index.js';
import { findRoomVersion, isValidRoomAlias, isValidUserId, serverNameOf, stateKey } from '../protocol/index.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Requester } from '../types/requester.js';
import { defaultPowerLevels, PRESETS } from './create-room-content.js';
import type { RoomServiceDeps } from './deps.js';
import { profileFields } from './member-content.js';
import type { EventProto, RoomDraft } from './room-draft.js';
import type { RoomWriter } from './room-writer.js';
import type { CreateRoomRequest } from './types.js';

// POST /createRoom: every event in the order the spec lists, built in one draft and persisted in one
// transaction, so a failure leaves no half-made room behind.

const invalidState = (reason: string) => new MatrixError('M_INVALID_ROOM_STATE', 400, `Cannot create the room: ${reason}`);
const unsupportedVersion = (v: string) =>
  new MatrixError('M_UNSUPPORTED_ROOM_VERSION', 400, `Your homeserver does not support the features required to join this room (version ${v})`);

function validateInvitees(list: readonly string[]): UserId[] {
  const out: UserId[] = [];
  for (const u of list) {
    if (!isValidUserId(u)) throw invalidParam(`Invalid user id in invite: ${u}`);
    if (!out.includes(u)) out.push(u);
  }
  return out;
}

/**
 * Invites of other servers' users, made once the room exists: each needs the invitee's server to countersign
 * it (federation /invite), which cannot happen inside the creation transaction.
 */
export type RemoteInviter = (roomId: RoomId, userId: UserId, isDirect: boolean) => Promise<void>;

function roomAlias(localpart: string, serverName: string): string {
  if (localpart === '' || /[\s:#]/.test(localpart)) throw invalidParam('Invalid characters in room alias');
  const alias = `#${localpart}:${serverName}`;
  if (!isValidRoomAlias(alias)) throw invalidParam(`Invalid room alias: ${alias}`);
  return alias;
}

export async function createRoom(
  deps: RoomServiceDeps,
  writer: RoomWriter,
  requester: Requester,
  body: CreateRoomRequest,
  inviteRemote?: RemoteInviter,
): Promise<{ room_id: RoomId; room_alias?: string }> {
  const { serverName } = deps.config;
  const creator = requester.userId;
  if (requester.isGuest) throw new MatrixError('M_GUEST_ACCESS_FORBIDDEN', 403, 'Guests cannot create rooms');

  const versionId = body.room_version ?? deps.config.defaultRoomVersion;
  const version = findRoomVersion(versionId);
  if (version === undefined) throw unsupportedVersion(versionId);

  const alias = body.room_alias_name !== undefined ? roomAlias(body.room_alias_name, serverName) : undefined;
  if (alias !== undefined && (await deps.storage.rooms.getRoomIdForAlias(alias)) !== undefined) {
    throw new MatrixError('M_ROOM_IN_USE', 400, 'Room alias already taken');
  }
  const invitees = validateInvitees(body.invite ?? []).filter((u) => u !== creator);
  const remoteInvitees = invitees.filter((u) => serverNameOf(u) !== serverName);
  if (remoteInvitees.length > 0 && inviteRemote === undefined) {
    throw new MatrixError('M_FORBIDDEN', 403, `Cannot invite ${remoteInvitees[0]}: this server does not federate`);
  }
  if ((body.invite_3pid ?? []).length > 0) {
    throw new MatrixError('M_UNRECOGNIZED', 400, 'Third-party invites need an identity server, which this server does not use');
  }
  const preset = PRESETS[body.preset ?? (body.visibility === 'public' ? 'public_chat' : 'private_chat')];

  // m.room.create: creation_content, with the keys the server owns overwritten.
  const createContent: JsonObject = { ...(body.creation_content ?? {}), room_version: version.id };
  if (version.implicitCreator) delete createContent.creator;
  else createContent.creator = creator;
  if (version.privilegedCreators) {
    const extra = createContent.additional_creators ?? [];
    if (!Array.isArray(extra) || !extra.every((u) => typeof u === 'string' && isValidUserId(u))) {
      throw invalidParam('creation_content.additional_creators must be an array of user ids');
    }
    const all = new Set<string>(extra as string[]);
    if (preset.inviteesAreAdmins) for (const u of invitees) all.add(u);
    all.delete(creator);
    if (all.size > 0) createContent.additional_creators = [...all];
    else delete createContent.additional_creators;
  }

  const initial = (body.initial_state ?? []).map((s) => ({ type: s.type, stateKey: s.state_key ?? '', content: s.content }));
  const initialKeys = new Set(initial.map((s) => stateKey(s.type, s.stateKey)));
  const has = (type: string) => initialKeys.has(stateKey(type, ''));

  const state = (type: string, content: JsonObject, key = ''): EventProto => ({ type, sender: creator, stateKey: key, content });
  const authError = (reason: string) => invalidState(reason);

  let aliasCreated = false;
  try {
    const roomId = await writer.createRoom(
      version,
      { creator, isPublic: body.visibility === 'public', createdTs: deps.now() },
      async (draft: RoomDraft) => {
        await draft.append(state('m.room.create', createContent), { authError });
        await draft.append(state('m.room.member', { membership: 'join', ...(await profileFields(deps, creator)) }, creator), { authError });

        // Power levels: initial_state's own event replaces the default; the override applies on top.
        const plFromInitial = initial.find((s) => s.type === 'm.room.power_levels' && s.stateKey === '');
        const admins = preset.inviteesAreAdmins ? invitees : [];
        const pl: JsonObject = { ...(plFromInitial?.content ?? defaultPowerLevels(version, creator, admins)), ...(body.power_level_content_override ?? {}) };
        await draft.append(state('m.room.power_levels', pl), { authError });

        if (alias !== undefined) await draft.append(state('m.room.canonical_alias', { alias }), { authError });
        if (!has('m.room.join_rules')) await draft.append(state('m.room.join_rules', { join_rule: preset.joinRule }), { authError });
        if (!has('m.room.history_visibility')) {
          await draft.append(state('m.room.history_visibility', { history_visibility: preset.historyVisibility }), { authError });
        }
        if (!has('m.room.guest_access')) await draft.append(state('m.room.guest_access', { guest_access: preset.guestAccess }), { authError });
        for (const s of initial) {
          if (s === plFromInitial) continue;
          await draft.append(state(s.type, s.content, s.stateKey), { authError });
        }
        if (body.name !== undefined) await draft.append(state('m.room.name', { name: body.name }), { authError });
        if (body.topic !== undefined) await draft.append(state('m.room.topic', { topic: body.topic }), { authError });
        for (const u of invitees) {
          if (remoteInvitees.includes(u)) continue;
          const content: JsonObject = { membership: 'invite', ...(await profileFields(deps, u)) };
          if (body.is_direct === true) content.is_direct = true;
          await draft.append({ type: 'm.room.member', sender: creator, stateKey: u, content }, { authError });
        }
        return draft.roomId;
      },
      async (draft) => {
        // The alias row is not part of the events transaction; claim it before persisting, undo on failure.
        if (alias === undefined) return;
        if (!(await deps.storage.rooms.createAlias(alias, draft.roomId, creator, [serverName]))) {
          throw new MatrixError('M_ROOM_IN_USE', 400, 'Room alias already taken');
        }
        aliasCreated = true;
      },
    );
    // A remote invite that fails (unreachable server, blocked invites) leaves the room created, as the spec
    // allows for invite blocking; the creator can invite again.
    for (const u of remoteInvitees) {
      await inviteRemote?.(roomId, u, body.is_direct === true).catch((err: unknown) => {
        deps.logger.warn({ err, roomId, invitee: u }, 'remote invite at room creation failed');
      });
    }
    return alias !== undefined ? { room_id: roomId, room_alias: alias } : { room_id: roomId };
  } catch (err) {
    if (aliasCreated && alias !== undefined) await deps.storage.rooms.deleteAlias(alias);
    throw err;
  }
}
