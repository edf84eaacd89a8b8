import type { RetryPolicy } from '../event-bus.js';

export const defaultRetryPolicy: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  initialBackoffMs: 200,
  maxBackoffMs: 5_000,
});

/** Fills a subscription's partial policy with the defaults and rejects nonsense early. */
export function resolveRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: overrides.maxAttempts ?? defaultRetryPolicy.maxAttempts,
    initialBackoffMs: overrides.initialBackoffMs ?? defaultRetryPolicy.initialBackoffMs,
    maxBackoffMs: overrides.maxBackoffMs ?? defaultRetryPolicy.maxBackoffMs,
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be an integer >= 1, got ${policy.maxAttempts}`);
  }
  if (!(policy.initialBackoffMs >= 0)) {
    throw new RangeError(`retry.initialBackoffMs must be >= 0, got ${policy.initialBackoffMs}`);
  }
  if (!(policy.maxBackoffMs >= policy.initialBackoffMs)) {
    throw new RangeError(
      `retry.maxBackoffMs (${policy.maxBackoffMs}) must be >= retry.initialBackoffMs (${policy.initialBackoffMs})`,
    );
  }
  return policy;
}

/**
 * The wait after the `failedAttempts`-th failure: exponential (initial × 2^(n-1), capped at the
 * maximum) with "equal jitter": half of it fixed, half random. The random half spreads the
 * retries of many consumers hit by the same outage; the fixed half keeps a floor, so a retry
 * never fires immediately at a dependency that just failed.
 */
export function backoffDelayMs(
  failedAttempts: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
