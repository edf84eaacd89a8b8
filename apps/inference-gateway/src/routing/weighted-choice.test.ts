import { describe, expect, it } from 'vitest';
import { weightedOrder } from './weighted-choice.js';

/** A seeded generator (mulberry32): the test is repeatable, and still a fair sample. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('weightedOrder', () => {
  it('puts each deployment first in proportion to its weight', () => {
    const items = [
      { id: 'a', weight: 3 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 6 },
    ];
    const random = seeded(42);
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const draws = 20_000;
    for (let draw = 0; draw < draws; draw++) {
      const first = weightedOrder(items, random)[0]?.id ?? '';
      firsts[first] = (firsts[first] ?? 0) + 1;
    }
    expect((firsts.a ?? 0) / draws).toBeCloseTo(0.3, 1);
    expect((firsts.b ?? 0) / draws).toBeCloseTo(0.1, 1);
    expect((firsts.c ?? 0) / draws).toBeCloseTo(0.6, 1);
    // Within 2 points of the share, not only to one decimal.
    expect(Math.abs((firsts.c ?? 0) / draws - 0.6)).toBeLessThan(0.02);
  });

  it('keeps every deployment in the order, and a weight of 0 always last', () => {
    const random = seeded(7);
    for (let draw = 0; draw < 200; draw++) {
      const order = weightedOrder(
        [
          { id: 'drained', weight: 0 },
          { id: 'a', weight: 1 },
          { id: 'b', weight: 1 },
        ],
        random,
      ).map((item) => item.id);
      expect(order).toHaveLength(3);
      expect(order.at(-1)).toBe('drained');
    }
  });
});
