import type { AuthContext } from './auth-context.js';
import { POWER_LEVELS_KEY } from './auth-state-keys.js';
import { parsePowerLevelValue } from './power-levels.js';
import { isValidUserId } from '../identifiers.js';
import { ALLOW, deny, type AuthResult } from './result.js';

// The m.room.power_levels rule (rule 9 in v6-v11, 10 in v1-v5 and v12). Version differences:
// `integerOnlyPowerLevels` (v10: every level must be an integer, validated up front), string and float
// values in older versions (power-levels.ts parses them), `notificationsPowerLevelAuth` (v6: the
// `notifications` map is guarded like `events`), `privilegedCreators` (v12: creators may not be listed).

const TOP_LEVEL_KEYS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'] as const;

type Obj = Readonly<Record<string, unknown>>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mapOrEmpty(v: unknown): Obj {
  return isObject(v) ? v : {};
}

/** A level read for comparison: absent, a number, or present but unparseable. */
type Level = { present: false } | { present: true; value: number | undefined };

function readLevel(ctx: AuthContext, map: Obj, key: string): Level {
  if (!Object.hasOwn(map, key)) return { present: false };
  return { present: true, value: parsePowerLevelValue(ctx.version, map[key]) };
}

function validateShape(ctx: AuthContext, content: Obj): string | undefined {
  const v = ctx.version;
  if (v.integerOnlyPowerLevels) {
    for (const key of TOP_LEVEL_KEYS) {
      if (Object.hasOwn(content, key) && !Number.isInteger(content[key])) return `${key} is not an integer`;
    }
    for (const key of ['events', 'notifications']) {
      if (!Object.hasOwn(content, key)) continue;
      const m = content[key];
      if (!isObject(m)) return `${key} is not an object`;
      for (const [k, val] of Object.entries(m)) {
        if (!Number.isInteger(val)) return `${key}.${k} is not an integer`;
      }
    }
  }
  if (Object.hasOwn(content, 'users')) {
    const users = content.users;
    if (!isObject(users)) return 'users is not an object';
    for (const [userId, val] of Object.entries(users)) {
      if (!isValidUserId(userId)) return `users key ${userId} is not a valid user id`;
      if (parsePowerLevelValue(v, val) === undefined) return `users.${userId} is not an integer`;
    }
    if (v.privilegedCreators) {
      for (const creator of ctx.powerLevels.privilegedCreators) {
        if (Object.hasOwn(users, creator)) return `room creator ${creator} may not be listed in users`;
      }
    }
  }
  return undefined;
}

/**
 * Compares one key between the current and the new map. `isUsers` applies the extra rule for other users'
 * entries (a sender cannot change or remove a level equal to or above their own).
 */
function checkChange(ctx: AuthContext, label: string, oldMap: Obj, newMap: Obj, key: string, isUsers: boolean): string | undefined {
  const before = readLevel(ctx, oldMap, key);
  const after = readLevel(ctx, newMap, key);
  // Unparseable values cannot be compared; the established implementations refuse the change outright.
  if ((before.present && before.value === undefined) || (after.present && after.value === undefined)) {
    return `${label} has a value that is not an integer`;
  }
  const oldValue = before.present ? before.value : undefined;
  const newValue = after.present ? after.value : undefined;
  if (oldValue === newValue) return undefined;
  const sender = ctx.event.pdu.sender;
  const senderLevel = ctx.powerLevels.userLevel(sender);
  if (isUsers && key !== sender && oldValue !== undefined && oldValue >= senderLevel) {
    return `${label}: cannot change the level of a user at or above the sender's level`;
  }
  if (oldValue !== undefined && oldValue > senderLevel) return `${label}: current value exceeds the sender's level`;
  if (newValue !== undefined && newValue > senderLevel) return `${label}: new value exceeds the sender's level`;
  return undefined;
}

export function checkPowerLevels(ctx: AuthContext): AuthResult {
  const content: Obj = ctx.event.pdu.content;
  const invalid = validateShape(ctx, content);
  if (invalid) return deny(`power levels: ${invalid}`);

  const previous = ctx.get(POWER_LEVELS_KEY);
  if (!previous) return ALLOW;
  const old: Obj = previous.pdu.content;

  for (const key of TOP_LEVEL_KEYS) {
    const problem = checkChange(ctx, key, old, content, key, false);
    if (problem) return deny(`power levels: ${problem}`);
  }
  const maps = ctx.version.notificationsPowerLevelAuth ? ['events', 'notifications', 'users'] : ['events', 'users'];
  for (const name of maps) {
    const oldMap = mapOrEmpty(old[name]);
    const newMap = mapOrEmpty(content[name]);
    for (const key of new Set([...Object.keys(oldMap), ...Object.keys(newMap)])) {
      const problem = checkChange(ctx, `${name}.${key}`, oldMap, newMap, key, name === 'users');
      if (problem) return deny(`power levels: ${problem}`);
    }
  }
  return ALLOW;
}
