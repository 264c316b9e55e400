import type { RoomVersion } from '../protocol/index.js';
import type { UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { CreateRoomPreset } from './types.js';

// What /createRoom's presets and defaults put into a new room (client-server API, POST /createRoom, and the
// power levels Synapse gives new rooms, which clients have come to expect).

export interface PresetState {
  joinRule: string;
  historyVisibility: string;
  guestAccess: string;
  /** trusted_private_chat: invitees get the creator's power (v12: they become additional creators). */
  inviteesAreAdmins: boolean;
}

export const PRESETS: Readonly<Record<CreateRoomPreset, PresetState>> = {
  private_chat: { joinRule: 'invite', historyVisibility: 'shared', guestAccess: 'can_join', inviteesAreAdmins: false },
  trusted_private_chat: { joinRule: 'invite', historyVisibility: 'shared', guestAccess: 'can_join', inviteesAreAdmins: true },
  public_chat: { joinRule: 'public', historyVisibility: 'shared', guestAccess: 'forbidden', inviteesAreAdmins: false },
};

/** The level creators get in versions where they are listed in power levels (v1-v11). */
export const CREATOR_LEVEL = 100;

/**
 * The default m.room.power_levels content of a new room. In versions with privileged creators (v12) the
 * creators are implied by the create event and must not be listed; the tombstone level must then be above
 * state_default so only creators can upgrade by default.
 */
export function defaultPowerLevels(version: RoomVersion, creator: UserId, admins: readonly UserId[]): JsonObject {
  const users: JsonObject = {};
  if (!version.privilegedCreators) {
    users[creator] = CREATOR_LEVEL;
    for (const u of admins) users[u] = CREATOR_LEVEL;
  }
  return {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': version.privilegedCreators ? 150 : 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 50,
    historical: 100,
  };
}
