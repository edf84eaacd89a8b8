import { describe, expect, it } from 'vitest';
import { backoffDelayMs, defaultRetryPolicy, resolveRetryPolicy } from './retry-policy.js';

describe('retry policy', () => {
  it('defaults to 5 attempts, 200 ms initial and 5 s maximum backoff', () => {
    expect(resolveRetryPolicy()).toEqual({ maxAttempts: 5, initialBackoffMs: 200, maxBackoffMs: 5000 });
    expect(resolveRetryPolicy({ maxAttempts: 2 })).toEqual({ ...defaultRetryPolicy, maxAttempts: 2 });
  });

  it('rejects policies that cannot work', () => {
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryPolicy({ maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryPolicy({ initialBackoffMs: -1 })).toThrow(/initialBackoffMs/);
    expect(() => resolveRetryPolicy({ initialBackoffMs: 100, maxBackoffMs: 50 })).toThrow(/maxBackoffMs/);
  });

  it('doubles the backoff per failure up to the maximum, with half of it jittered', () => {
    const policy = resolveRetryPolicy();
    const lowest = () => 0;
    const highest = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(n, policy, highest))).toEqual([
      200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
    expect([1, 2, 3, 6].map((n) => backoffDelayMs(n, policy, lowest))).toEqual([100, 200, 400, 2500]);
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelayMs(3, policy);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(800);
    }
  });
});
