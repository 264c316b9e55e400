import type { Logger } from '../http/logger.js';
import type { RoomStore } from '../storage/interfaces/index.js';
import type { RoomId } from '../types/ids.js';

// Periodic garbage collection of state groups that no event refers to (storage: state-group-gc.ts). The scan
// runs without a lock; each room's deletion runs under that room's writer lock, where nothing else can add a
// reference. A group is deleted only when the previous run found it dead too: a reader that looked up an
// event's group just before the resync re-pointed the event has a whole interval to finish reading it.

export const DEFAULT_STATE_GROUP_GC_INTERVAL_MS = 60 * 60 * 1000;
const SCAN_LIMIT = 20_000;

export interface StateGroupGcRun {
  /** Groups found dead in this run. */
  found: number;
  /** Groups deleted (dead in this run and the one before). */
  deleted: number;
}

export class StateGroupCollector {
  /** Groups found dead by the previous run. */
  private previous = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<StateGroupGcRun> | null = null;
  private stopped = false;

  constructor(
    private readonly store: Pick<RoomStore, 'findDeadStateGroups' | 'deleteDeadStateGroups'>,
    private readonly locked: <T>(roomId: RoomId, fn: () => Promise<T>) => Promise<T>,
    private readonly logger: Logger,
  ) {}

  /** One collection; concurrent callers share it. */
  run(): Promise<StateGroupGcRun> {
    this.running ??= this.collect().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async collect(): Promise<StateGroupGcRun> {
    const dead = await this.store.findDeadStateGroups(SCAN_LIMIT);
    const seen = new Set<number>();
    let found = 0;
    let deleted = 0;
    for (const [roomId, ids] of dead) {
      found += ids.length;
      for (const id of ids) seen.add(id);
      const confirmed = ids.filter((id) => this.previous.has(id));
      if (confirmed.length === 0 || this.stopped) continue;
      const gone = await this.locked(roomId, () => this.store.deleteDeadStateGroups(roomId, confirmed));
      for (const id of gone) seen.delete(id);
      deleted += gone.length;
    }
    this.previous = seen;
    if (deleted > 0) this.logger.info({ found, deleted }, 'deleted unreferenced state groups');
    return { found, deleted };
  }

  /** Runs every `intervalMs` (0: never) until stop(). */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer !== null || this.stopped) return;
    const tick = () => {
      this.run()
        .catch((err: unknown) => this.logger.error({ err }, 'state group collection failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
