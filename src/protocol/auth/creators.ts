import type { RoomVersion } from '../room-versions.js';
import type { RoomEvent } from '../../types/pdu.js';
import type { UserId } from '../../types/ids.js';
import { isValidUserId } from '../identifiers.js';

/**
 * The room creators named by a create event.
 *
 * - `privilegedCreators` (v12): the create event's sender plus every valid entry of
 *   `content.additional_creators`. These users have infinite power (see power-levels.ts).
 * - `implicitCreator` (v11): the sender alone.
 * - older versions: `content.creator`, when it is a string.
 *
 * Invalid `additional_creators` entries are skipped here; the create-event rule rejects such events, so an
 * accepted create event never has them.
 */
export function roomCreators(version: RoomVersion, createEvent: RoomEvent): ReadonlySet<UserId> {
  const { pdu } = createEvent;
  if (version.privilegedCreators) {
    const out = new Set<UserId>([pdu.sender]);
    const extra = pdu.content.additional_creators;
    if (Array.isArray(extra)) {
      for (const id of extra) if (typeof id === 'string' && isValidUserId(id)) out.add(id);
    }
    return out;
  }
  if (version.implicitCreator) return new Set([pdu.sender]);
  const creator = pdu.content.creator;
  return typeof creator === 'string' ? new Set([creator]) : new Set();
}

/**
 * The single user whose join may directly follow the create event (the "first join" rule): the sender of
 * the create event from v11 on, `content.creator` before. v12 additional creators are not included: the spec
 * names the create event's sender only.
 */
export function firstJoinUser(version: RoomVersion, createEvent: RoomEvent): UserId | undefined {
  if (version.implicitCreator) return createEvent.pdu.sender;
  const creator = createEvent.pdu.content.creator;
  return typeof creator === 'string' ? creator : undefined;
}
