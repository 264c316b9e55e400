// Per-destination retry timing: exponential with a cap and some jitter, so that many destinations that
// failed together (our own network blip) do not all come back in the same second.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** Fraction of the interval added or removed at random (0.2 = ±20 %). */
  jitter: number;
}

export const DEFAULT_DESTINATION_BACKOFF: BackoffPolicy = Object.freeze({
  initialMs: 10_000,
  maxMs: 60 * 60 * 1000,
  multiplier: 2,
  jitter: 0.2,
});

/** The next retry interval after a failure, given the previous interval (0 after a success). */
export function nextRetryInterval(previousMs: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = previousMs <= 0 ? policy.initialMs : Math.min(policy.maxMs, previousMs * policy.multiplier);
  const jittered = base * (1 + policy.jitter * (2 * random() - 1));
  return Math.max(1, Math.min(policy.maxMs, Math.round(jittered)));
}
