import type { RoomVersion } from '../room-versions.js';
import type { RoomEvent } from '../../types/pdu.js';
import { powerLevelsView } from '../auth/index.js';
import { authEventIds, type EventCache } from './store.js';

/** Power events (v2 "Definitions"): events that might remove someone's ability to do something. */
export function isPowerEvent(ev: RoomEvent): boolean {
  const { type, state_key: sk, sender, content } = ev.pdu;
  if (sk === undefined) return false;
  if (type === 'm.room.power_levels' || type === 'm.room.join_rules') return sk === '';
  if (type === 'm.room.member') {
    const m = content.membership;
    return (m === 'leave' || m === 'ban') && sender !== sk;
  }
  return false;
}

/** The auth event of `ev` with the given type and empty state key, if it is loaded. */
export function authEventOfType(ev: RoomEvent, type: string, cache: EventCache): RoomEvent | undefined {
  for (const id of authEventIds(ev.pdu)) {
    const a = cache.get(id);
    if (a && a.pdu.type === type && a.pdu.state_key === '') return a;
  }
  return undefined;
}

/**
 * The sender's power level "when looking at their auth_events": the power-levels event among them, with the
 * create event naming the creators (level 100 without a power-levels event; Infinity for v12 creators, whose
 * create event is implied by the room id and so passed in as `impliedCreate`).
 */
export function senderPowerLevel(
  version: RoomVersion,
  ev: RoomEvent,
  cache: EventCache,
  impliedCreate: RoomEvent | undefined,
): number {
  const pl = authEventOfType(ev, 'm.room.power_levels', cache);
  const create = authEventOfType(ev, 'm.room.create', cache) ?? impliedCreate;
  return powerLevelsView(version, pl, create).userLevel(ev.pdu.sender);
}
