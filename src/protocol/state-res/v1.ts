import { createHash } from 'node:crypto';
import type { RoomVersion } from '../room-versions.js';
import type { EventId } from '../../types/ids.js';
import type { RoomEvent, StateKey } from '../../types/pdu.js';
import { splitStateKey, stateKey } from '../state-key.js';
import type { AuthRules } from './auth-rules.js';
import { separateV1 } from './separate.js';
import { EventCache, type StateResStore } from './store.js';

const PL_KEY = stateKey('m.room.power_levels', '');
const CREATE_KEY = stateKey('m.room.create', '');

/**
 * State resolution for room version 1 (rooms/v1.md). Known to reset state in some forks; kept exactly as
 * specified because v1 rooms must converge with other servers, not be correct.
 */
export async function resolveV1(
  version: RoomVersion,
  stateSets: ReadonlyArray<ReadonlyMap<StateKey, EventId>>,
  store: StateResStore,
  rules: AuthRules,
): Promise<Map<StateKey, EventId>> {
  const { unconflicted, conflicted } = separateV1(stateSets);
  if (conflicted.size === 0) return unconflicted;

  const cache = new EventCache(store);
  const allConflicted: EventId[] = [];
  for (const ids of conflicted.values()) allConflicted.push(...ids);
  await cache.load(allConflicted);

  // R starts as the unconflicted union; only the entries the auth rules can consult need loading.
  const neededKeys = new Set<StateKey>([CREATE_KEY]);
  for (const id of allConflicted) {
    const ev = cache.get(id);
    if (ev) for (const k of rules.authStateKeysFor(version, ev.pdu)) neededKeys.add(k);
  }
  await cache.load([...neededKeys].flatMap((k) => unconflicted.get(k) ?? []));
  const r = new Map<StateKey, RoomEvent>();
  for (const k of neededKeys) {
    const id = unconflicted.get(k);
    const ev = id !== undefined ? cache.get(id) : undefined;
    if (ev) r.set(k, ev);
  }

  const sha1 = new Map<EventId, string>();
  const digest = (id: EventId): string => {
    let h = sha1.get(id);
    if (h === undefined) {
      h = createHash('sha1').update(id, 'utf8').digest('hex');
      sha1.set(id, h);
    }
    return h;
  };
  // Ascending depth, then descending sha1(event_id).
  const ascending = (a: RoomEvent, b: RoomEvent): number => {
    if (a.pdu.depth !== b.pdu.depth) return a.pdu.depth < b.pdu.depth ? -1 : 1;
    const ha = digest(a.eventId);
    const hb = digest(b.eventId);
    return ha > hb ? -1 : ha < hb ? 1 : 0;
  };
  const eventsFor = (k: StateKey): RoomEvent[] =>
    [...(conflicted.get(k) ?? [])].map((id) => cache.get(id)).filter((e): e is RoomEvent => e !== undefined);
  const allowed = (ev: RoomEvent): boolean => rules.checkEventAuth(version, ev, r).allowed;

  const resolved = new Map<StateKey, EventId>(unconflicted);
  const done = new Set<StateKey>();

  // Auth-relevant types, in this order: take the earliest event, then walk forward while each next one is
  // allowed in R; the last allowed one wins.
  const resolveAuthKey = (k: StateKey): void => {
    done.add(k);
    const list = eventsFor(k).sort(ascending);
    const [first, ...others] = list;
    if (!first) return;
    let winner = first;
    r.set(k, first);
    for (const ev of others) {
      if (!allowed(ev)) break;
      winner = ev;
      r.set(k, ev);
    }
    resolved.set(k, winner.eventId);
  };
  const keysOfType = (type: string): StateKey[] =>
    [...conflicted.keys()].filter((k) => splitStateKey(k)[0] === type).sort();

  if (conflicted.has(PL_KEY)) resolveAuthKey(PL_KEY);
  for (const k of keysOfType('m.room.join_rules')) resolveAuthKey(k);
  for (const k of keysOfType('m.room.member')) resolveAuthKey(k);

  // Everything else: the highest-depth, lowest-sha1 event that passes auth in R. When none passes we keep the
  // lowest-depth one, as other implementations do, rather than dropping a key both branches had.
  for (const k of [...conflicted.keys()].sort()) {
    if (done.has(k)) continue;
    const list = eventsFor(k).sort(ascending).reverse();
    const pick = list.find(allowed) ?? list[list.length - 1];
    if (!pick) continue;
    r.set(k, pick);
    resolved.set(k, pick.eventId);
  }
  return resolved;
}
