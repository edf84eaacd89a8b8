import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from './reciprocal-rank-fusion.js';

const list = (...ids: string[]) => ids.map((id) => ({ id }));
const order = (fused: { id: string }[]) => fused.map((entry) => entry.id);

describe('reciprocalRankFusion', () => {
  it('sums 1 / (k + rank) over the lists and reports each rank (0 when absent)', () => {
    const fused = reciprocalRankFusion([list('a', 'b', 'c'), list('c', 'd')]);
    // b and d tie (rank 2 each): the id decides.
    expect(order(fused)).toEqual(['c', 'a', 'b', 'd']);
    expect(fused[0]).toEqual({ id: 'c', score: 1 / 63 + 1 / 61, ranks: [3, 1] });
    expect(fused.find((entry) => entry.id === 'd')).toEqual({ id: 'd', score: 1 / 62, ranks: [0, 2] });
  });

  it('breaks score ties by best rank, then id, and honours k', () => {
    const tie = reciprocalRankFusion([list('a', 'b'), list('b', 'a')]);
    expect(order(tie)).toEqual(['a', 'b']);
    expect(tie[0]?.score).toBe(tie[1]?.score);
    const sharp = reciprocalRankFusion([list('x', 'y', 'z'), list('z', 'y', 'x')], { k: 0 });
    expect(order(sharp)).toEqual(['x', 'z', 'y']);
    expect(sharp[0]?.score).toBeCloseTo(1 + 1 / 3, 12);
  });

  it('multiplies each list’s votes by its weight', () => {
    const first = list('a', 'b', 'c');
    const second = list('c', 'b', 'a');
    // Equal weights: a and c tie on score; a wins on the id.
    expect(order(reciprocalRankFusion([first, second]))).toEqual(['a', 'c', 'b']);
    const fused = reciprocalRankFusion([first, second], { weights: [0.5, 2] });
    expect(order(fused)).toEqual(['c', 'b', 'a']);
    expect(fused[0]).toEqual({ id: 'c', score: 0.5 / 63 + 2 / 61, ranks: [3, 1] });
    // Only the ratio matters for the order.
    expect(order(reciprocalRankFusion([first, second], { weights: [1, 4] }))).toEqual(order(fused));
  });

  it('lets k decide how far a weight overrules agreement between the lists', () => {
    // `both` is 10th in the list weighted 2 and 1st in the other; s1 is 1st in the first only.
    const strong = list('s1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9', 'both');
    const weak = list('both');
    const top = (k: number) => reciprocalRankFusion([strong, weak], { weights: [2, 1], k })[0]?.id;
    // k 60: 2/70 + 1/61 > 2/61, rank 10 is nearly as good as rank 1; k 0: 2/10 + 1 < 2.
    expect(top(60)).toBe('both');
    expect(top(0)).toBe('s1');
  });

  it('switches a list weighted 0 off but still reports its ranks', () => {
    const fused = reciprocalRankFusion([list('a', 'b', 'c'), list('x', 'c', 'a')], { weights: [1, 0] });
    // x appears only in the switched-off list: not a candidate.
    expect(order(fused)).toEqual(['a', 'b', 'c']);
    expect(fused.map((entry) => entry.ranks)).toEqual([
      [1, 3],
      [2, 0],
      [3, 2],
    ]);
    expect(fused.map((entry) => entry.score)).toEqual([1 / 61, 1 / 62, 1 / 63]);
    // The order does not depend on which list comes first.
    expect(order(reciprocalRankFusion([list('x', 'c', 'a'), list('a', 'b', 'c')], { weights: [0, 1] }))).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('counts an id repeated within one list once, at its best rank', () => {
    expect(reciprocalRankFusion([list('a', 'a', 'b')])).toEqual([
      { id: 'a', score: 1 / 61, ranks: [1] },
      { id: 'b', score: 1 / 63, ranks: [3] },
    ]);
  });

  it('handles no lists and empty lists', () => {
    expect(reciprocalRankFusion([])).toEqual([]);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
    expect(reciprocalRankFusion([[], []], { weights: [0, 1] })).toEqual([]);
  });

  it('rejects a bad k and bad weights', () => {
    const lists = [list('a'), list('b')];
    for (const k of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => reciprocalRankFusion(lists, { k })).toThrow(RangeError);
    }
    expect(() => reciprocalRankFusion(lists, { weights: [1] })).toThrow(/one weight per list/);
    expect(() => reciprocalRankFusion(lists, { weights: [1, -0.5] })).toThrow(/non-negative finite/);
    expect(() => reciprocalRankFusion(lists, { weights: [1, Number.NaN] })).toThrow(/non-negative finite/);
    expect(() => reciprocalRankFusion(lists, { weights: [Number.POSITIVE_INFINITY, 1] })).toThrow(/non-negative/);
    expect(() => reciprocalRankFusion(lists, { weights: [0, 0] })).toThrow(/at least one weight/);
  });
});
