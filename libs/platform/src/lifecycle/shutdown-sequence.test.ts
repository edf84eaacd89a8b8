import { describe, expect, it } from 'vitest';
import { createTestLogger } from '../testing/test-logger.js';
import { ShutdownSequence } from './shutdown-sequence.js';

describe('ShutdownSequence', () => {
  it('runs steps in reverse order of adding, each after the previous finished', async () => {
    const order: string[] = [];
    const sequence = new ShutdownSequence();
    sequence.add('store', async () => {
      order.push('store');
    });
    sequence.add('bus', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('bus');
    });
    sequence.add('http', async () => {
      order.push('http');
    });
    await sequence.run();
    expect(order).toEqual(['http', 'bus', 'store']);
  });

  it('logs a failing step and a hung step, and still runs the rest within the bound', async () => {
    const { logger, lines } = createTestLogger('svc');
    const order: string[] = [];
    const sequence = new ShutdownSequence({ logger, stepTimeoutMs: 100 });
    sequence.add('store', async () => {
      order.push('store');
    });
    sequence.add('hangs', () => new Promise(() => {}));
    sequence.add('throws', async () => {
      throw new Error('socket already closed');
    });
    sequence.add('throws synchronously', () => {
      throw new Error('not even a promise');
    });
    const startedAt = Date.now();
    await expect(sequence.run()).resolves.toBeUndefined();
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(order).toEqual(['store']);
    expect(lines().map((line) => [line.step, line.msg])).toEqual([
      ['throws synchronously', 'shutdown step failed'],
      ['throws', 'shutdown step failed'],
      ['hangs', 'shutdown step timed out; moving on'],
      ['store', 'shutdown step done'],
    ]);
  });

  it('runs once however often it is asked', async () => {
    let runs = 0;
    const sequence = new ShutdownSequence();
    sequence.add('count', async () => {
      runs += 1;
    });
    await Promise.all([sequence.run(), sequence.run()]);
    await sequence.run();
    expect(runs).toBe(1);
    expect(() => sequence.add('late', async () => {})).toThrow(/already running/);
  });
});
