import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from './reciprocal-rank-fusion.js';

const list = (...ids: string[]) => ids.map((id) => ({ id }));

describe('reciprocalRankFusion', () => {
  it('sums 1 / (k + rank) over the lists and reports each rank (0 when absent)', () => {
    const fused = reciprocalRankFusion([list('a', 'b', 'c'), list('c', 'd')]);
    // b and d tie (rank 2 each): the id decides.
    expect(fused.map((entry) => entry.id)).toEqual(['c', 'a', 'b', 'd']);
    expect(fused[0]).toEqual({ id: 'c', score: 1 / 63 + 1 / 61, ranks: [3, 1] });
    expect(fused.find((entry) => entry.id === 'd')).toEqual({ id: 'd', score: 1 / 62, ranks: [0, 2] });
  });

  it('breaks score ties by best rank, then id, and honours k', () => {
    const tie = reciprocalRankFusion([list('a', 'b'), list('b', 'a')]);
    expect(tie.map((entry) => entry.id)).toEqual(['a', 'b']);
    expect(tie[0]?.score).toBe(tie[1]?.score);
    const sharp = reciprocalRankFusion([list('x', 'y', 'z'), list('z', 'y', 'x')], 0);
    expect(sharp.map((entry) => entry.id)).toEqual(['x', 'z', 'y']);
    expect(sharp[0]?.score).toBeCloseTo(1 + 1 / 3, 12);
  });

  it('counts an id repeated within one list once, at its best rank', () => {
    expect(reciprocalRankFusion([list('a', 'a', 'b')])).toEqual([
      { id: 'a', score: 1 / 61, ranks: [1] },
      { id: 'b', score: 1 / 63, ranks: [3] },
    ]);
  });

  it('handles no lists and empty lists, and rejects a negative k', () => {
    expect(reciprocalRankFusion([])).toEqual([]);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
    expect(() => reciprocalRankFusion([list('a')], -1)).toThrow(RangeError);
  });
});
