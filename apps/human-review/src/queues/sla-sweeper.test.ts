import { createTestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { describe, expect, it } from 'vitest';
import { startSweeper } from './sla-sweep.js';

describe('startSweeper', () => {
  it('sweeps on its interval, never two at once, logs a failure and goes on, and stop waits for the sweep in flight', async () => {
    const log = createTestLogger('human-review');
    let runs = 0;
    let running = 0;
    let overlapped = false;
    let finished = 0;
    const sweeper = startSweeper(
      async () => {
        runs++;
        running++;
        overlapped ||= running > 1;
        await new Promise((resolve) => setTimeout(resolve, 25));
        running--;
        finished++;
        if (runs === 1) throw new Error('store down');
      },
      log.logger,
      5,
    );
    await waitFor('three sweeps', () => runs >= 3);
    await sweeper.stop();
    const stoppedAt = runs;
    expect(finished).toBe(runs);
    expect(overlapped).toBe(false);
    expect(log.find('SLA sweep failed')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs).toBe(stoppedAt);
  });
});
