import { serverNameOf } from '../protocol/index.js';
import type { UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { RoomServiceDeps } from './deps.js';

// Content of the m.room.member events this server creates. Joins and invites of local users carry the
// user's displayname / avatar_url (clients show them without a profile lookup), as Synapse does.

export async function profileFields(deps: RoomServiceDeps, userId: UserId): Promise<JsonObject> {
  if (serverNameOf(userId) !== deps.config.serverName) return {};
  try {
    const p = await deps.profiles.getProfile(userId);
    const out: JsonObject = {};
    if (typeof p.displayname === 'string') out.displayname = p.displayname;
    if (typeof p.avatar_url === 'string') out.avatar_url = p.avatar_url;
    return out;
  } catch (err) {
    // A missing profile must not block a membership change.
    deps.logger.debug({ err, userId }, 'no profile for member event');
    return {};
  }
}

export function withReason(content: JsonObject, reason: string | undefined): JsonObject {
  return reason !== undefined && reason !== '' ? { ...content, reason } : content;
}
