import type { VectorHit } from '@keel/vector-store';
import { describe, expect, it } from 'vitest';
import { fuseByScore } from './score-fusion.js';

const hit = (id: string, score: number): VectorHit => ({ id, score, text: id, payload: { id } });

// BM25 has a clear winner (a) and a near-tie (b, c); the vectors prefer c, then d (keyword-less).
const keyword = [hit('a', 20), hit('b', 10.1), hit('c', 10), hit('e', 2)];
const dense = [hit('d', 0.9), hit('c', 0.88), hit('a', 0.5), hit('b', 0.3)];

describe('fuseByScore', () => {
  it('keeps a clear keyword winner and lets the vectors break near-ties', () => {
    const fused = fuseByScore(dense, keyword, 10, { denseWeight: 0.3, keywordWeight: 1 });
    expect(fused.map((found) => found.id).slice(0, 3)).toEqual(['a', 'c', 'b']);
  });

  it('reports each list’s 1-based rank, 0 when absent', () => {
    const fused = fuseByScore(dense, keyword, 10, { denseWeight: 0.3, keywordWeight: 1 });
    const ranks = Object.fromEntries(fused.map((found) => [found.id, [found.denseRank, found.keywordRank]]));
    expect(ranks).toEqual({ a: [3, 1], b: [4, 2], c: [2, 3], d: [1, 0], e: [0, 4] });
  });

  it('is one list’s order when the other weighs 0, and is cut at the limit', () => {
    expect(fuseByScore(dense, keyword, 10, { denseWeight: 0, keywordWeight: 1 }).map((found) => found.id)).toEqual([
      'a',
      'b',
      'c',
      'e',
      'd',
    ]);
    expect(fuseByScore(dense, keyword, 2, { denseWeight: 1, keywordWeight: 0 }).map((found) => found.id)).toEqual([
      'd',
      'c',
    ]);
  });

  it('scores z-scores: the weighted sum of standardised scores', () => {
    const [first] = fuseByScore([hit('x', 1), hit('y', 0)], [hit('x', 5), hit('y', 1)], 1, {
      denseWeight: 0.5,
      keywordWeight: 1,
    });
    // Two values standardise to +1 and −1.
    expect(first).toMatchObject({ id: 'x', score: 1.5, denseRank: 1, keywordRank: 1 });
  });

  it('handles empty and single-hit lists', () => {
    expect(fuseByScore([], [], 5, { denseWeight: 1, keywordWeight: 1 })).toEqual([]);
    expect(fuseByScore([hit('x', 0.4)], [], 5, { denseWeight: 1, keywordWeight: 1 }).map((f) => f.id)).toEqual(['x']);
  });
});
