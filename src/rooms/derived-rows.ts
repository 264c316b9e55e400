import type { Logger } from '../http/logger.js';
import type { DerivedRows, StoredEvent } from '../storage/interfaces/index.js';
import type { RoomId } from '../types/ids.js';
import type { PushActionsPort } from './deps.js';
import type { DeriveRows, OrderedBatch } from './group-commit.js';
import { RELATIONS_INDEX } from './relations/indexer.js';
import { relationRowsOf } from './relations/extract.js';

// What a group commit writes besides its events, in the same transaction: the relation rows (pure extraction,
// relations/extract.ts; search rows are the search indexer's, relations/indexer.ts says why) and the local
// members' push actions (src/push, through the port).
// Deriving them after the commit meant a reader per concern re-reading the events and committing its own
// transaction: three commits per message in a room with local members instead of one.

/** The stored form of an event about to be written (never redacted yet: a redaction marks its target later). */
function asStored(e: OrderedBatch['events'][number], receivedTs: number): StoredEvent {
  return {
    eventId: e.eventId,
    roomId: e.roomId,
    streamOrdering: e.streamOrdering,
    depth: e.depth,
    pdu: e.pdu,
    outlier: e.outlier,
    softFailed: e.softFailed,
    rejectedReason: e.rejectedReason,
    replacesState: null,
    redactedBy: null,
    receivedTs,
  };
}

export function createRowDeriver(deps: { push?: PushActionsPort; indexAdvanced?: (from: number, to: number) => void; logger: Logger; now: () => number }): DeriveRows {
  return async (batches) => {
    const now = deps.now();
    const events = batches.flatMap((b) => b.events.map((e) => asStored(e, now)));
    if (events.length === 0) return { rows: {}, committed: () => undefined };
    // The index position may move over this group only if its orderings leave no gap (another writer's
    // events in between are the indexer's to cover).
    const orderings = events.map((e) => e.streamOrdering).sort((a, b) => a - b);
    const low = orderings[0] as number;
    const high = orderings.at(-1) as number;
    const advance = high - low + 1 === orderings.length ? { from: low - 1, to: high } : null;
    const rows: DerivedRows = { index: { name: RELATIONS_INDEX, advance, ...relationRowsOf(events) } };
    let pushCommitted = (): void => undefined;
    if (deps.push !== undefined) {
      try {
        const push = await deps.push.evaluate(events, roomContinuity(batches));
        if (push.batch !== null) rows.push = push.batch;
        pushCommitted = push.committed;
      } catch (err) {
        // A send must not fail because its notifications could not be worked out: the events land without them.
        deps.logger.error({ err, from: low, to: high }, 'push evaluation failed; these events are written without notifications');
      }
    }
    const committed = (): void => {
      pushCommitted();
      if (advance !== null) deps.indexAdvanced?.(advance.from, advance.to);
    };
    return { rows, committed };
  };
}

/**
 * Per room of the group: whether its first batch goes on from the room's last commit (`from`: a reader may
 * start from what it knew after that commit), and whether all its batches were built on drafts (`drafts`:
 * the room's current state after the group is the state before it plus these events, in order).
 */
function roomContinuity(batches: readonly OrderedBatch[]): { from: Set<RoomId>; drafts: Set<RoomId> } {
  const from = new Set<RoomId>();
  const drafts = new Set<RoomId>();
  const seen = new Set<RoomId>();
  const mixed = new Set<RoomId>();
  for (const b of batches) {
    if (!seen.has(b.roomId)) {
      seen.add(b.roomId);
      if (b.origin === 'kept-draft') from.add(b.roomId);
    }
    if (b.origin === undefined) mixed.add(b.roomId);
  }
  for (const roomId of seen) if (!mixed.has(roomId)) drafts.add(roomId);
  return { from, drafts };
}
