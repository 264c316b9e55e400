import type { ClientEvent } from '../../protocol/index.js';
import type { RelationRow, Storage, StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import { serializeEvents, type SharedLookups } from '../read/index.js';

// Server-side aggregations of child events (unsigned.m.relations, client-server API "Aggregations of child
// events"): m.thread {latest_event, count, current_user_participated}, m.replace (the most recent valid edit)
// and m.reference {chunk}. m.annotation is deliberately absent: since v1.7 the spec says annotations are not
// aggregated by the server. All parents of a page are looked up in one query.

export interface AggregationDeps {
  storage: Storage;
  now: () => number;
}

export interface AggregationViewer {
  userId: UserId;
  deviceId: string | null;
}

/** Usable as a child: still in the timeline and not redacted. */
function liveChild(ev: StoredEvent | undefined): ev is StoredEvent {
  return ev !== undefined && ev.redactedBy === null && !ev.softFailed && ev.rejectedReason === null && !ev.outlier;
}

/** Event replacements, "Validity of replacement events": same room, sender and type, no state keys, has m.new_content, original not itself an edit. */
export function isValidReplacement(original: StoredEvent, edit: StoredEvent): boolean {
  if (edit.roomId !== original.roomId || edit.pdu.sender !== original.pdu.sender || edit.pdu.type !== original.pdu.type) return false;
  if (edit.pdu.state_key !== undefined || original.pdu.state_key !== undefined) return false;
  const origRel = original.pdu.content['m.relates_to'];
  if (typeof origRel === 'object' && origRel !== null && !Array.isArray(origRel) && origRel.rel_type === 'm.replace') return false;
  const newContent = edit.pdu.content['m.new_content'];
  // Encrypted edits carry m.new_content inside the ciphertext.
  if (edit.pdu.type !== 'm.room.encrypted' && (typeof newContent !== 'object' || newContent === null || Array.isArray(newContent))) return false;
  return true;
}

async function ignoredUsers(storage: Storage, userId: UserId): Promise<UserId[]> {
  const row = await storage.userData.getAccountData(userId, '', 'm.ignored_user_list');
  const list = row?.content.ignored_users;
  return typeof list === 'object' && list !== null && !Array.isArray(list) ? (Object.keys(list) as UserId[]) : [];
}

function newer(a: StoredEvent, b: StoredEvent): boolean {
  if (a.pdu.origin_server_ts !== b.pdu.origin_server_ts) return a.pdu.origin_server_ts > b.pdu.origin_server_ts;
  return a.eventId > b.eventId;
}

/** The aggregations of each of `parents` that has any, keyed by parent event id. */
export async function aggregateRelations(
  deps: AggregationDeps,
  parents: readonly StoredEvent[],
  viewer: AggregationViewer,
  shared?: SharedLookups,
): Promise<Map<EventId, JsonObject>> {
  const out = new Map<EventId, JsonObject>();
  if (parents.length === 0) return out;
  const parentIds = parents.map((p) => p.eventId);
  const relations = deps.storage.relations;
  // Threads are summarised in the database (a long thread is not read whole per page); edits and references
  // are read row by row, as every candidate edit must be checked. Reactions are not read at all.
  // Many viewers at one position (woken syncs) share the viewer-independent reads: the edit/reference rows,
  // and whether any parent has a thread at all (only then is the per-viewer summary read).
  const key = parentIds.join('\u0000');
  const readRows = () => relations.getRelationsTo(parentIds, ['m.replace', 'm.reference']);
  const summaries = () => relations.getThreadSummaries(parentIds, viewer.userId);
  let [threads, rows] = await Promise.all([
    shared === undefined
      ? summaries()
      : shared.once(`threads\u0000${key}`, summaries).then((any) => (any.length > 0 ? summaries() : [])),
    shared === undefined ? readRows() : shared.once(`edit-ref-rows\u0000${key}`, readRows),
  ]);
  // Ignored users' replies do not count and are never a thread's latest event (as Synapse does). The ignore
  // list is read only when a page has threads, so pages without threads cost nothing more.
  if (threads.length > 0) {
    const ignored = await ignoredUsers(deps.storage, viewer.userId);
    if (ignored.length > 0) threads = await deps.storage.relations.getThreadSummaries(parentIds, viewer.userId, ignored);
  }
  if (threads.length === 0 && rows.length === 0) return out;
  const children = await deps.storage.rooms.getEvents([...rows.map((r) => r.eventId), ...threads.map((t) => t.latestEventId)]);
  const byParent = new Map<EventId, RelationRow[]>();
  for (const r of rows) {
    if (!liveChild(children.get(r.eventId))) continue;
    let list = byParent.get(r.relatesToId);
    if (list === undefined) byParent.set(r.relatesToId, (list = []));
    list.push(r);
  }
  const threadByRoot = new Map(threads.map((t) => [t.rootId, t]));

  const toSerialize: StoredEvent[] = [];
  const plan = new Map<EventId, { thread?: { latest: StoredEvent; count: number; participated: boolean }; edit?: StoredEvent; refs?: EventId[] }>();
  for (const parent of parents) {
    const list = byParent.get(parent.eventId) ?? [];
    const summary = threadByRoot.get(parent.eventId);
    if (list.length === 0 && summary === undefined) continue;
    const entry: { thread?: { latest: StoredEvent; count: number; participated: boolean }; edit?: StoredEvent; refs?: EventId[] } = {};
    const latest = summary && children.get(summary.latestEventId);
    if (summary !== undefined && liveChild(latest)) {
      entry.thread = {
        latest,
        count: summary.count,
        participated: parent.pdu.sender === viewer.userId || summary.participated,
      };
      toSerialize.push(latest);
    }
    for (const r of list) {
      const child = children.get(r.eventId);
      if (r.relType !== 'm.replace' || child === undefined || !isValidReplacement(parent, child)) continue;
      if (entry.edit === undefined || newer(child, entry.edit)) entry.edit = child;
    }
    if (entry.edit !== undefined) toSerialize.push(entry.edit);
    const refs = list.filter((r) => r.relType === 'm.reference').map((r) => r.eventId);
    if (refs.length > 0) entry.refs = refs;
    plan.set(parent.eventId, entry);
  }

  const serialized = await serializeEvents(toSerialize, {
    store: deps.storage.rooms,
    now: deps.now(),
    requester: { userId: viewer.userId, deviceId: viewer.deviceId },
  });
  const clientById = new Map<EventId, ClientEvent>(serialized.map((e) => [e.event_id, e]));
  for (const [parentId, entry] of plan) {
    const relations: JsonObject = {};
    const latest = entry.thread && clientById.get(entry.thread.latest.eventId);
    if (entry.thread !== undefined && latest !== undefined) {
      relations['m.thread'] = {
        latest_event: latest as unknown as JsonObject,
        count: entry.thread.count,
        current_user_participated: entry.thread.participated,
      };
    }
    const edit = entry.edit && clientById.get(entry.edit.eventId);
    if (edit !== undefined) relations['m.replace'] = edit as unknown as JsonObject;
    if (entry.refs !== undefined) relations['m.reference'] = { chunk: entry.refs.map((id) => ({ event_id: id })) };
    if (Object.keys(relations).length > 0) out.set(parentId, relations);
  }
  return out;
}
