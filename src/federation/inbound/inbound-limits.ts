import { limitExceeded } from '../../errors/index.js';

// Limits on what one remote server may ask of us at once (Synapse's rc_federation, same keys and defaults):
// per origin, requests beyond `sleepLimit` in a `windowSizeMs` window are each delayed by `sleepDelayMs`,
// requests beyond `rejectLimit` in the window are refused with 429 M_LIMIT_EXCEEDED, and at most `concurrent`
// run at once (the rest wait their turn, first come first served). Separately, one /send transaction per
// origin is processed at a time: another transaction arriving meanwhile gets 429 (the sender retries it
// later), while a retry of the transaction in progress waits for its result instead of running it twice.
// Keys are authenticated origins only, so nobody can spend another server's allowance.

export interface FederationRateLimitConfig {
  windowSizeMs: number;
  sleepLimit: number;
  sleepDelayMs: number;
  rejectLimit: number;
  concurrent: number;
}

/** Synapse's rc_federation defaults. */
export const FEDERATION_RATE_LIMIT_DEFAULTS: Readonly<FederationRateLimitConfig> = Object.freeze({
  windowSizeMs: 1000,
  sleepLimit: 10,
  sleepDelayMs: 500,
  rejectLimit: 50,
  concurrent: 3,
});

interface OriginState {
  /** Arrival times of the requests in the current window, oldest first. */
  arrivals: number[];
  running: number;
  waiting: Array<() => void>;
}

export interface InboundLimitOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class InboundFederationLimits {
  private readonly origins = new Map<string, OriginState>();
  private readonly transactions = new Map<string, { txnId: string; result: Promise<unknown> }>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly config: FederationRateLimitConfig = FEDERATION_RATE_LIMIT_DEFAULTS,
    opts: InboundLimitOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? realSleep;
  }

  /** Runs one request of `origin` within its limits (may wait; throws 429 M_LIMIT_EXCEEDED when over the reject limit). */
  async run<T>(origin: string, fn: () => Promise<T>): Promise<T> {
    const { windowSizeMs, sleepLimit, sleepDelayMs, rejectLimit } = this.config;
    const state = this.stateOf(origin);
    const now = this.now();
    while (state.arrivals.length > 0 && (state.arrivals[0] as number) <= now - windowSizeMs) state.arrivals.shift();
    if (state.arrivals.length >= rejectLimit) {
      const retryAfterMs = Math.max(1, (state.arrivals[0] as number) + windowSizeMs - now);
      throw limitExceeded(retryAfterMs, `Too many requests from ${origin}`);
    }
    state.arrivals.push(now);
    if (state.arrivals.length > sleepLimit && sleepDelayMs > 0) await this.sleep(sleepDelayMs);
    await this.acquire(state);
    try {
      return await fn();
    } finally {
      this.release(origin, state);
    }
  }

  /**
   * Runs transaction `txnId` of `origin` unless another of its transactions is in progress (429). The same
   * transaction sent again while it runs shares the first run's result.
   */
  async transaction<T>(origin: string, txnId: string, fn: () => Promise<T>): Promise<T> {
    const current = this.transactions.get(origin);
    if (current !== undefined) {
      if (current.txnId === txnId) return current.result as Promise<T>;
      throw limitExceeded(this.config.windowSizeMs, `Still processing transaction ${current.txnId} from ${origin}`);
    }
    const result = fn().finally(() => this.transactions.delete(origin));
    this.transactions.set(origin, { txnId, result });
    return result;
  }

  private stateOf(origin: string): OriginState {
    let state = this.origins.get(origin);
    if (state === undefined) {
      state = { arrivals: [], running: 0, waiting: [] };
      this.origins.set(origin, state);
    }
    return state;
  }

  private async acquire(state: OriginState): Promise<void> {
    if (state.running < Math.max(1, this.config.concurrent)) {
      state.running++;
      return;
    }
    // The slot is handed over by release(), so `running` stays counted for the waiter.
    await new Promise<void>((resolve) => state.waiting.push(resolve));
  }

  private release(origin: string, state: OriginState): void {
    const next = state.waiting.shift();
    if (next !== undefined) {
      next();
      return;
    }
    state.running--;
    // An idle origin with no recent requests holds nothing worth keeping.
    if (state.running === 0 && state.arrivals.length === 0) this.origins.delete(origin);
    else if (state.running === 0 && (state.arrivals[state.arrivals.length - 1] as number) <= this.now() - this.config.windowSizeMs) {
      this.origins.delete(origin);
    }
  }
}
