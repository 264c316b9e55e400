import type { ThreadCounts, UnreadFloor } from '../storage/interfaces/index.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { ReadPositions } from './counts.js';

// Unread counts a sync computed, kept per user and room with the stream position they were counted up to,
// so the next sync of that user counts only the push actions after it and adds them: a member who does not
// read a busy room has a row per message since, and every message woke their sync to count them all again
// (the store's share of a 1,000-member fan-out), where Synapse keeps summaries (event_push_summary).
//
// Sound because push action rows are only ever added, each in the commit of its own event, and so at that
// event's stream position: once a sync covers position P, no row at or before P appears or goes (the start-up
// catch-up of events stored without evaluation is awaited before any count, service.ts). A new read receipt
// changes the floor, and a changed floor counts afresh.

/** Entries kept at most (one per user and room that synced); the least recently used goes first. */
const MAX_ENTRIES = 10_000;

type Counts = ReadonlyMap<string, ThreadCounts>;
type CountFn = (userId: UserId, roomId: RoomId, floor: UnreadFloor) => Promise<Map<string, ThreadCounts>>;

interface Entry {
  /** The read positions the counts were made against. */
  floor: string;
  upTo: number;
  counts: Counts;
}

/** The read positions as one comparable string: the unthreaded position and the threads read further. */
function floorKey(read: ReadPositions): string {
  const threads = [...read.threads].filter(([, p]) => p > read.unthreaded).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([read.unthreaded, threads]);
}

function added(a: Counts, b: Counts): Counts {
  if (b.size === 0) return a;
  const out = new Map(a);
  for (const [thread, c] of b) {
    const was = out.get(thread);
    out.set(thread, was === undefined ? c : { notify: was.notify + c.notify, highlight: was.highlight + c.highlight });
  }
  return out;
}

export class UnreadCountCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly count: CountFn,
    private readonly max = MAX_ENTRIES,
  ) {}

  /**
   * The counts of `roomId` for `userId` read up to `read`, of the rows at or before `upTo` (the position the
   * sync covers). The returned map is shared: callers only read it.
   */
  async counts(userId: UserId, roomId: RoomId, read: ReadPositions, upTo: number): Promise<Counts> {
    const key = `${userId}\u0000${roomId}`;
    const floor = floorKey(read);
    const hit = this.entries.get(key);
    let counts: Counts;
    if (hit !== undefined && hit.floor === floor && hit.upTo <= upTo) {
      if (hit.upTo === upTo) {
        this.touch(key, hit);
        return hit.counts;
      }
      // The rows after what was counted; a thread read past that point still leaves out its rows up to it.
      const more = await this.count(userId, roomId, { after: Math.max(read.unthreaded, hit.upTo), threads: read.threads, upTo });
      counts = added(hit.counts, more);
    } else {
      counts = await this.count(userId, roomId, { after: read.unthreaded, threads: read.threads, upTo });
    }
    // Another sync of the user (a second device) may have stored a later position meanwhile: keep that one.
    const now = this.entries.get(key);
    if (now === undefined || now.upTo <= upTo) this.touch(key, { floor, upTo, counts });
    return counts;
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
  }
}
