import type { UserId } from '../../types/ids.js';
import { lookupPath } from './key-path.js';
import { matchGlob, type PushMatcherCache } from './glob.js';
import type { PushCondition, PushConditionValue } from './types.js';

/** An event as push rules see it: any JSON object (a PDU or a client-format event). */
export type PushEvent = Readonly<Record<string, unknown>>;

/** What conditions need to know beyond the event itself, for one recipient. */
export interface PushConditionContext {
  userId: UserId;
  /** The recipient's display name in this room, for the deprecated contains_display_name condition. */
  displayName?: string | null;
  /** Joined members of the room, for room_member_count. */
  roomMemberCount: number;
  /** The sender's power level in the room. */
  senderPowerLevel: number;
  /**
   * `content.notifications` of the room's m.room.power_levels, already read as integers. A key missing
   * here requires 50, the level the spec gives `room` when unspecified.
   */
  notificationPowerLevels?: Readonly<Record<string, number>>;
}

const DEFAULT_NOTIFICATION_LEVEL = 50;
const MEMBER_COUNT = /^(==|<=|>=|<|>)?([0-9]+)$/;

// event_property_is / _contains compare only non-compound canonical JSON values: strings, integers in
// the canonical range, booleans and null. Floats and out-of-range integers never match.
function isComparable(v: unknown): v is PushConditionValue {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v));
}

function propertyOf(event: PushEvent, key: unknown, cache: PushMatcherCache): unknown {
  return typeof key === 'string' ? lookupPath(event, cache.keyPath(key)) : undefined;
}

function eventMatch(cond: PushCondition, event: PushEvent, cache: PushMatcherCache): boolean {
  const { key, pattern } = cond;
  if (typeof key !== 'string' || typeof pattern !== 'string') return false;
  const value = propertyOf(event, key, cache);
  // Absent or non-string values never match, not even `*`.
  if (typeof value !== 'string') return false;
  // Only content.body is matched at word boundaries; every other key must match as a whole.
  const mode = key === 'content.body' ? 'word' : 'whole';
  return matchGlob(cache.glob(pattern), cache.text(event, value), mode);
}

function propertyIs(cond: PushCondition, event: PushEvent, cache: PushMatcherCache): boolean {
  if (!Object.hasOwn(cond, 'value') || !isComparable(cond.value)) return false;
  const value = propertyOf(event, cond.key, cache);
  return isComparable(value) && value === cond.value;
}

function propertyContains(cond: PushCondition, event: PushEvent, cache: PushMatcherCache): boolean {
  if (!Object.hasOwn(cond, 'value') || !isComparable(cond.value)) return false;
  const value = propertyOf(event, cond.key, cache);
  if (!Array.isArray(value)) return false;
  const wanted = cond.value;
  return value.some((item: unknown) => isComparable(item) && item === wanted);
}

function containsDisplayName(event: PushEvent, ctx: PushConditionContext, cache: PushMatcherCache): boolean {
  const name = ctx.displayName;
  // Without a display name there is nothing to look for; an empty one would match every body.
  if (typeof name !== 'string' || name === '') return false;
  const body = lookupPath(event, ['content', 'body']);
  if (typeof body !== 'string') return false;
  return matchGlob(cache.literal(name), cache.text(event, body), 'word');
}

/** A room_member_count condition's `is` read as its operator and bound; null when it is not one. */
function parseMemberCount(is: unknown): { op: string; bound: number } | null {
  if (typeof is !== 'string') return null;
  const m = MEMBER_COUNT.exec(is);
  return m === null ? null : { op: m[1] ?? '==', bound: Number(m[2]) };
}

function roomMemberCount(cond: PushCondition, ctx: PushConditionContext, cache: PushMatcherCache): boolean {
  const test = cache.memberCount(cond, () => parseMemberCount(cond.is));
  if (test === null) return false;
  const { bound } = test;
  const count = ctx.roomMemberCount;
  switch (test.op) {
    case '<':
      return count < bound;
    case '>':
      return count > bound;
    case '<=':
      return count <= bound;
    case '>=':
      return count >= bound;
    default:
      return count === bound;
  }
}

function senderNotificationPermission(cond: PushCondition, ctx: PushConditionContext): boolean {
  const { key } = cond;
  if (typeof key !== 'string') return false;
  const levels = ctx.notificationPowerLevels;
  const configured = levels !== undefined && Object.hasOwn(levels, key) ? levels[key] : undefined;
  const required = typeof configured === 'number' ? configured : DEFAULT_NOTIFICATION_LEVEL;
  return ctx.senderPowerLevel >= required;
}

/** Condition kinds that read the event only, so their result is shared by every recipient of the event. */
export const EVENT_ONLY_CONDITIONS: ReadonlySet<string> = new Set(['event_match', 'event_property_is', 'event_property_contains']);

/** Whether one condition holds. Unknown kinds never match, which effectively disables their rule. */
export function conditionMatches(
  cond: PushCondition,
  event: PushEvent,
  ctx: PushConditionContext,
  cache: PushMatcherCache,
): boolean {
  switch (cond.kind) {
    // The EVENT_ONLY_CONDITIONS: one result per event.
    case 'event_match':
      return cache.eventResult(event, cond, () => eventMatch(cond, event, cache));
    case 'event_property_is':
      return cache.eventResult(event, cond, () => propertyIs(cond, event, cache));
    case 'event_property_contains':
      return cache.eventResult(event, cond, () => propertyContains(cond, event, cache));
    case 'contains_display_name':
      return containsDisplayName(event, ctx, cache);
    case 'room_member_count':
      return roomMemberCount(cond, ctx, cache);
    case 'sender_notification_permission':
      return senderNotificationPermission(cond, ctx);
    default:
      return false;
  }
}

/** Content rules carry a predefined condition: their pattern against content.body at word boundaries. */
export function bodyMatchesPattern(pattern: unknown, event: PushEvent, cache: PushMatcherCache): boolean {
  if (typeof pattern !== 'string') return false;
  const body = lookupPath(event, ['content', 'body']);
  if (typeof body !== 'string') return false;
  return matchGlob(cache.glob(pattern), cache.text(event, body), 'word');
}
