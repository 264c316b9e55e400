import type { RoomVersion } from '../room-versions.js';
import type { EventId } from '../../types/ids.js';
import type { RoomEvent, StateKey } from '../../types/pdu.js';
import { stateKey } from '../state-key.js';
import type { AuthRules } from './auth-rules.js';
import { authDifference } from './auth-difference.js';
import { conflictedSubgraph } from './conflicted-subgraph.js';
import { iterativeAuthChecks, type AuthCheckContext } from './iterative-auth.js';
import { mainlineSort } from './mainline.js';
import { isPowerEvent } from './power.js';
import { reverseTopologicalPowerSort } from './power-sort.js';
import { separateV2 } from './separate.js';
import { EventCache, type StateResStore } from './store.js';

const PL_KEY = stateKey('m.room.power_levels', '');

/**
 * State resolution v2 (rooms v2-v11) and v2.1 (v12, `version.stateRes === 'v2.1'`): the latter adds the
 * conflicted state subgraph to the full conflicted set and runs the iterative auth checks from the empty state
 * instead of the unconflicted state map.
 */
export async function resolveV2(
  version: RoomVersion,
  stateSets: ReadonlyArray<ReadonlyMap<StateKey, EventId>>,
  store: StateResStore,
  rules: AuthRules,
): Promise<Map<StateKey, EventId>> {
  const v21 = version.stateRes === 'v2.1';
  const { unconflicted, conflicted } = separateV2(stateSets);
  if (conflicted.size === 0) return unconflicted;

  const cache = new EventCache(store);
  const conflictedIds = new Set<EventId>();
  for (const ids of conflicted.values()) for (const id of ids) conflictedIds.add(id);

  // Full conflicted set: conflicted state set ∪ auth difference (∪ conflicted state subgraph in v2.1).
  const full = new Set<EventId>(conflictedIds);
  for (const id of await authDifference(stateSets, unconflicted, store)) full.add(id);
  if (v21) for (const id of await conflictedSubgraph(conflictedIds, store, cache)) full.add(id);
  await cache.load(full);
  // Events we cannot fetch cannot be authorised; they drop out (the unconflicted map still wins in step 5).
  const fullEvents = [...full].map((id) => cache.get(id)).filter((e): e is RoomEvent => e !== undefined);

  const impliedCreate = await loadImpliedCreate(version, fullEvents, cache);
  const ctx: AuthCheckContext = { version, rules, cache, impliedCreate };

  // Step 1: power events of the full conflicted set, plus the parts of their auth chains inside that set.
  const power = fullEvents.filter(isPowerEvent);
  const powerChain = await store.getAuthChain(power.map((e) => e.eventId));
  await cache.load(powerChain);
  const selected = fullEvents.filter((e) => isPowerEvent(e) || powerChain.has(e.eventId));
  const sortedPower = reverseTopologicalPowerSort(version, selected, cache, impliedCreate);

  // Step 2: iterative auth checks from the unconflicted state map (v2) or the empty state (v2.1).
  const base: ReadonlyMap<StateKey, EventId> = v21 ? new Map() : unconflicted;
  const partial = await iterativeAuthChecks(ctx, sortedPower, base);

  // Steps 3-4: everything else, in mainline order of the partially resolved power levels.
  const selectedIds = new Set(selected.map((e) => e.eventId));
  const rest = fullEvents.filter((e) => !selectedIds.has(e.eventId));
  const sortedRest = await mainlineSort(rest, partial.get(PL_KEY), cache);
  const resolved = await iterativeAuthChecks(ctx, sortedRest, partial);

  // Step 5: the unconflicted state map wins.
  for (const [k, v] of unconflicted) resolved.set(k, v);
  return resolved;
}

/**
 * v12 events do not cite the create event; it is implied by the room id (`!x` <-> `$x`). The rules and the
 * creators' infinite power need it, so fetch it once from the room id of the events being resolved.
 */
async function loadImpliedCreate(
  version: RoomVersion,
  events: readonly RoomEvent[],
  cache: EventCache,
): Promise<RoomEvent | undefined> {
  if (!version.createEventNotInAuthEvents) return undefined;
  const roomId = events.find((e) => typeof e.pdu.room_id === 'string')?.pdu.room_id;
  if (roomId === undefined || !roomId.startsWith('!')) return undefined;
  const createId = `$${roomId.slice(1)}`;
  await cache.load([createId]);
  const create = cache.get(createId);
  return create && create.pdu.type === 'm.room.create' && create.pdu.state_key === '' ? create : undefined;
}
