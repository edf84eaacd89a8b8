import { describe, expect, it } from 'vitest';
import { TopK } from './top-k.js';

describe('TopK', () => {
  it('keeps the k highest scores, best first, against a full sort', () => {
    let state = 7;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const scores = Array.from({ length: 1_000 }, () => Math.round(random() * 200) / 10);
    const top = new TopK(25);
    scores.forEach((score, slot) => {
      top.offer(slot, score);
    });
    const expected = scores
      .map((score, slot) => ({ slot, score }))
      .sort((a, b) => b.score - a.score || a.slot - b.slot)
      .slice(0, 25);
    expect(top.drain()).toEqual(expected);
  });

  it('breaks ties by the lower slot and holds fewer than k when fewer came', () => {
    const top = new TopK(3);
    for (const slot of [9, 4, 7, 1]) top.offer(slot, 1);
    expect(top.drain()).toEqual([
      { slot: 1, score: 1 },
      { slot: 4, score: 1 },
      { slot: 7, score: 1 },
    ]);
    const few = new TopK(10);
    few.offer(3, 0.5);
    expect(few.threshold).toBe(Number.NEGATIVE_INFINITY);
    expect(few.drain()).toEqual([{ slot: 3, score: 0.5 }]);
  });
});
