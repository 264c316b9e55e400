import { MatrixError } from '../errors/index.js';
import type { EventId, RoomId } from '../types/ids.js';
import type { Requester } from '../types/requester.js';
import type { RoomServiceDeps } from './deps.js';

// Account suspension (spec "Account suspension"): a suspended user keeps reading, leaving, rejecting invites
// and redacting their own events, but may not create or join rooms, knock, invite, send, change state or
// redact others' events. Checked per write: on the flag read with the request's access token (the token cache
// is dropped when an admin suspends, so it applies to the very next request), else on the account row.

const SUSPENDED = 'You cannot perform this action while suspended.';

export async function assertNotSuspended(deps: RoomServiceDeps, requester: Requester): Promise<void> {
  // Appservice senders are never suspended through this path; their users are ordinary accounts though.
  const suspended = requester.suspended ?? (await deps.storage.accounts.getUser(requester.userId))?.suspended === true;
  if (suspended) throw new MatrixError('M_USER_SUSPENDED', 403, SUSPENDED);
}

/** State a suspended user may still send: their own leave (which is how invites are rejected too). */
export function allowedWhileSuspended(requester: Requester, type: string, stateKey: string, content: Record<string, unknown>): boolean {
  return type === 'm.room.member' && stateKey === requester.userId && content.membership === 'leave';
}

/** Redacting one's own events stays allowed; others' events (moderation) do not. */
export async function assertMayRedactWhileSuspended(deps: RoomServiceDeps, requester: Requester, roomId: RoomId, eventId: EventId): Promise<void> {
  const target = await deps.storage.rooms.getEvent(eventId);
  if (target !== undefined && target.roomId === roomId && target.pdu.sender === requester.userId) return;
  await assertNotSuspended(deps, requester);
}
