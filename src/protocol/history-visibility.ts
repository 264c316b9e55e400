import { serverNameOf } from './identifiers.js';

// History visibility (client-server API, "Room History Visibility", server behaviour). Visibility is
// decided by the room state *at* the event: callers pass the history visibility and memberships in
// force just before the event, and these functions add the effect of the event itself for the two
// special cases the spec names (history_visibility events, and the user's own member events).

export type HistoryVisibility = 'world_readable' | 'shared' | 'invited' | 'joined';

const KNOWN: ReadonlySet<string> = new Set(['world_readable', 'shared', 'invited', 'joined']);

/** The minimal view of an event these rules need. */
export interface VisibilityEvent {
  type: string;
  state_key?: string;
  content: Readonly<Record<string, unknown>>;
}

/**
 * Reads `m.room.history_visibility` content. A missing event or a value we do not understand means
 * `shared`, as the spec requires.
 */
export function historyVisibilityFrom(content: unknown): HistoryVisibility {
  if (typeof content !== 'object' || content === null) return 'shared';
  const v = (content as Record<string, unknown>).history_visibility;
  return typeof v === 'string' && KNOWN.has(v) ? (v as HistoryVisibility) : 'shared';
}

function membershipFrom(content: Readonly<Record<string, unknown>>): string | undefined {
  return typeof content.membership === 'string' ? content.membership : undefined;
}

/** The visibilities to try: the one in force, plus the new value when the event changes it. */
function visibilityCandidates(event: VisibilityEvent, before: HistoryVisibility): HistoryVisibility[] {
  if (event.type === 'm.room.history_visibility' && event.state_key === '') {
    return [before, historyVisibilityFrom(event.content)];
  }
  return [before];
}

function membershipCandidates(event: VisibilityEvent, userId: string, before: string | undefined): Array<string | undefined> {
  if (event.type === 'm.room.member' && event.state_key === userId) return [before, membershipFrom(event.content)];
  return [before];
}

export interface UserVisibilityInput {
  userId: string;
  event: VisibilityEvent;
  /** History visibility in force just before the event. */
  historyVisibility: HistoryVisibility;
  /** The user's membership just before the event (undefined when they had none). */
  membership: string | undefined;
  /**
   * Whether the user joined the room at some point after the event (rule 3, `shared`). Callers usually
   * answer with "is the user joined now, or did they join after this event and later leave".
   */
  joinedAfterEvent: boolean;
}

function userRuleAllows(visibility: HistoryVisibility, membership: string | undefined, joinedAfter: boolean): boolean {
  if (visibility === 'world_readable') return true;
  if (membership === 'join') return true;
  if (visibility === 'shared' && joinedAfter) return true;
  if (visibility === 'invited' && membership === 'invite') return true;
  return false;
}

/** Whether a user may see an event, per the five rules of the spec. */
export function userMayViewEvent(input: UserVisibilityInput): boolean {
  const visibilities = visibilityCandidates(input.event, input.historyVisibility);
  const memberships = membershipCandidates(input.event, input.userId, input.membership);
  return visibilities.some((v) => memberships.some((m) => userRuleAllows(v, m, input.joinedAfterEvent)));
}

export interface ServerVisibilityInput {
  serverName: string;
  event: VisibilityEvent;
  /** History visibility in force just before the event. */
  historyVisibility: HistoryVisibility;
  /** Memberships just before the event of the users of `serverName` (others are ignored). */
  memberships: ReadonlyMap<string, string> | Iterable<readonly [userId: string, membership: string]>;
}

function serverRuleAllows(visibility: HistoryVisibility, memberships: Iterable<string | undefined>): boolean {
  // A server may see what any of its users could: shared history becomes visible to any user who joins,
  // so a server is never refused it.
  if (visibility === 'world_readable' || visibility === 'shared') return true;
  for (const m of memberships) {
    if (m === 'join') return true;
    if (visibility === 'invited' && m === 'invite') return true;
  }
  return false;
}

/** Whether a remote server may receive an event (backfill, /event, missing events): any of its users could see it. */
export function serverMayViewEvent(input: ServerVisibilityInput): boolean {
  const ours = new Map<string, string | undefined>();
  for (const [userId, membership] of input.memberships) {
    if (serverNameOf(userId) === input.serverName) ours.set(userId, membership);
  }
  const { event } = input;
  const after: Array<string | undefined> = [];
  if (event.type === 'm.room.member' && typeof event.state_key === 'string' && serverNameOf(event.state_key) === input.serverName) {
    after.push(membershipFrom(event.content));
  }
  const candidates = [...ours.values(), ...after];
  return visibilityCandidates(event, input.historyVisibility).some((v) => serverRuleAllows(v, candidates));
}
