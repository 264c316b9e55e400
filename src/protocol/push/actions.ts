import type { JsonValue } from '../../types/json.js';
import type { PushAction } from './types.js';

// Older spec versions defined `dont_notify` and `coalesce`; v1.19 says they MUST be ignored, so a rule
// whose actions are `["dont_notify"]` behaves exactly like one with `[]`.
const HISTORICAL_ACTIONS: ReadonlySet<string> = new Set(['dont_notify', 'coalesce']);

export function stripHistoricalActions(actions: readonly PushAction[]): PushAction[] {
  return actions.filter((a) => typeof a !== 'string' || !HISTORICAL_ACTIONS.has(a));
}

export function actionsNotify(actions: readonly PushAction[]): boolean {
  return actions.includes('notify');
}

/**
 * The tweaks a notification carries, later actions overriding earlier ones. A `set_tweak` without a
 * `value` sets `true`: the spec defines that for `highlight`, and other tweaks follow the same reading.
 */
export function actionsTweaks(actions: readonly PushAction[]): Record<string, JsonValue> {
  const tweaks: Record<string, JsonValue> = {};
  for (const action of actions) {
    if (typeof action === 'string') continue;
    const name = action['set_tweak'];
    if (typeof name !== 'string') continue;
    const value = action['value'];
    // defineProperty so a tweak named `__proto__` is stored as data rather than changing the prototype.
    Object.defineProperty(tweaks, name, { value: value === undefined ? true : value, enumerable: true, writable: true, configurable: true });
  }
  return tweaks;
}

/** Highlight is true when a highlight tweak is present without a value or with `true`; absent means false. */
export function actionsHighlight(actions: readonly PushAction[]): boolean {
  const tweaks = actionsTweaks(actions);
  return Object.hasOwn(tweaks, 'highlight') && tweaks['highlight'] === true;
}

/** The `sound` tweak if one is set to a string. */
export function actionsSound(actions: readonly PushAction[]): string | undefined {
  const tweaks = actionsTweaks(actions);
  const sound = Object.hasOwn(tweaks, 'sound') ? tweaks['sound'] : undefined;
  return typeof sound === 'string' ? sound : undefined;
}
