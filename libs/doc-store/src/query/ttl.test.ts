import { describe, expect, it } from 'vitest';
import { notExpiredPredicate, startPurgeLoop } from './ttl.js';

describe('notExpiredPredicate', () => {
  it('keeps documents without an expiry or with one still ahead', () => {
    expect(notExpiredPredicate('expiresAt', 1000)).toEqual({
      kind: 'or',
      predicates: [
        { kind: 'eq', field: 'expiresAt', value: null },
        { kind: 'range', field: 'expiresAt', operator: 'gt', value: 1000 },
      ],
    });
  });
});

describe('startPurgeLoop', () => {
  it('never overlaps runs and reports failures instead of throwing', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const errors: unknown[] = [];
    const loop = startPurgeLoop(
      3_600_000,
      async () => {
        calls += 1;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
        if (calls === 1) throw new Error('server away');
      },
      (error) => errors.push(error),
    );
    await Promise.all([loop.runNow(), loop.runNow(), loop.runNow()]);
    expect(calls).toBe(1);
    expect(maxRunning).toBe(1);
    expect(errors).toEqual([new Error('server away')]);
    await loop.runNow();
    expect(calls).toBe(2);
    loop.stop();
  });

  it('runs on its interval until stopped', async () => {
    let calls = 0;
    const loop = startPurgeLoop(
      10,
      async () => {
        calls += 1;
      },
      () => undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    loop.stop();
    const seen = calls;
    expect(seen).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(calls).toBe(seen);
  });
});
