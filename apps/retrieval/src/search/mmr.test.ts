import { describe, expect, it } from 'vitest';
import { selectByMmr } from './mmr.js';

// Two near-duplicates at the top, then a different chunk slightly less relevant.
const candidates = [
  { score: 1.0, vector: [1, 0, 0] },
  { score: 0.95, vector: [0.99, 0.14, 0] },
  { score: 0.9, vector: [0, 1, 0] },
  { score: 0.5, vector: [0, 0, 1] },
];

describe('selectByMmr', () => {
  it('with lambda 1 keeps the relevance order', () => {
    expect(selectByMmr(candidates, 3, 1)).toEqual([0, 1, 2]);
  });

  it('skips a near-duplicate of what it already picked', () => {
    expect(selectByMmr(candidates, 3, 0.5)).toEqual([0, 2, 3]);
    expect(selectByMmr(candidates, 2, 0.7)).toEqual([0, 2]);
  });

  it('with lambda 0 picks for diversity alone after the most relevant', () => {
    expect(selectByMmr(candidates, 4, 0)[0]).toBe(0);
    expect(selectByMmr(candidates, 4, 0).slice(0, 3).sort()).toEqual([0, 2, 3]);
  });

  it('returns at most as many as it has, and nothing for nothing', () => {
    expect(selectByMmr(candidates, 10, 0.5)).toHaveLength(4);
    expect(new Set(selectByMmr(candidates, 10, 0.5)).size).toBe(4);
    expect(selectByMmr([], 5, 0.5)).toEqual([]);
    expect(selectByMmr(candidates, 0, 0.5)).toEqual([]);
  });

  it('copes with equal scores and zero vectors', () => {
    const flat = [
      { score: 2, vector: [0, 0] },
      { score: 2, vector: [1, 0] },
      { score: 2, vector: [1, 0] },
      { score: 2, vector: [0, 1] },
    ];
    expect(selectByMmr(flat, 3, 0.5)).toEqual([0, 1, 3]);
  });
});
