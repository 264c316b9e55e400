import type { UserId } from '../types/ids.js';

/*
 * When to move staged push actions into the per-user table (storage rotatePushActions; only SQLite stages).
 *
 * A move writes a page of each of the per-user table's B-trees for every member it has rows of, however many
 * rows that is, so a move should wait until it has many rows per member. A busy small room gets there at once
 * (ten clients in a 50-member room stage ~200 rows per member in 250 ms); a big room slowly (one client in a
 * 1,000-member room ~20). So a move waits at least CHECK_MS after the first staged row, and then until the
 * rows staged since the last move number ROWS_PER_USER per user they name, or MAX_DELAY_MS went by. Waiting
 * long in a busy small room did harm: with every move 2 s late, 50 clients in a 50-member room saw sends
 * stall (p99 367 against 116-125 ms) when each move took ~90,000 rows at once (README, the 16:45 pass).
 */

/** Shortest wait after the first staged row, and how often the rows are looked at again. */
export const CHECK_MS = 250;
/** Longest wait: a quiet big room's message is moved by then. */
export const MAX_DELAY_MS = 2_000;
/** Staged rows per user that make a move worth its pages. */
export const ROWS_PER_USER = 100;
/** Rows one move takes at most (whole events); the store cuts it into short transactions. */
export const MAX_ROWS = 60_000;

export class StagedMoves {
  private rows = 0;
  private readonly users = new Set<UserId>();
  private firstAt: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private moving = false;
  private closed = false;

  constructor(
    private readonly move: (maxRows: number) => Promise<number>,
    private readonly now: () => number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** A commit staged these rows (one user id per row). */
  staged(userIds: Iterable<UserId>): void {
    for (const u of userIds) {
      this.rows += 1;
      this.users.add(u);
    }
    this.firstAt ??= this.now();
    if (!this.moving) this.arm(CHECK_MS, false);
  }

  /** Moves whatever is staged now, without waiting (rows an earlier run left). */
  moveNow(): void {
    if (!this.moving) this.arm(0, true);
  }

  /** Whether the rows staged since the last move are worth moving now. */
  private ready(): boolean {
    if (this.rows === 0) return false;
    return this.rows >= ROWS_PER_USER * this.users.size || this.now() - (this.firstAt ?? this.now()) >= MAX_DELAY_MS;
  }

  private arm(delayMs: number, force: boolean): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!force && !this.ready()) {
        this.arm(CHECK_MS, false);
        return;
      }
      this.rows = 0;
      this.users.clear();
      this.firstAt = null;
      this.moving = true;
      this.running = (async () => {
        let moved = 0;
        try {
          moved = await this.move(MAX_ROWS);
        } catch (err) {
          // Rows stay where they are, read from there; the next staged rows try again.
          this.onError(err);
        }
        this.moving = false;
        // More than one move may take: the rest at once (it has waited already); else what was staged meanwhile.
        if (moved >= MAX_ROWS) this.arm(0, true);
        else if (this.rows > 0) this.arm(CHECK_MS, false);
      })();
    }, delayMs);
    this.timer.unref();
  }

  /** Stops scheduling and waits for a move under way. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
