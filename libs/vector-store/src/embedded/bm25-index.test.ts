import { describe, expect, it } from 'vitest';
import { Bm25Index } from './bm25-index.js';

/** BM25 straight from the formula, over the documents given (the live ones). */
function textbook(documents: Map<number, string[]>, query: string[]): Map<number, number> {
  const n = documents.size;
  const average = [...documents.values()].reduce((sum, terms) => sum + terms.length, 0) / n;
  const scores = new Map<number, number>();
  for (const term of new Set(query)) {
    const df = [...documents.values()].filter((terms) => terms.includes(term)).length;
    if (df === 0) continue;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    for (const [slot, terms] of documents) {
      const tf = terms.filter((candidate) => candidate === term).length;
      if (tf === 0) continue;
      const score = (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * terms.length) / average));
      scores.set(slot, (scores.get(slot) ?? 0) + score);
    }
  }
  return scores;
}

describe('Bm25Index', () => {
  const documents = new Map<number, string[]>([
    [0, ['wing', 'flutter', 'wing']],
    [1, ['flutter', 'speed', 'boundary', 'layer', 'flow']],
    [2, ['boundary', 'layer']],
    [3, ['heat', 'transfer', 'wing', 'flow', 'flow', 'flow']],
    [4, ['speed']],
  ]);

  it('scores textbook BM25 and ranks best first', () => {
    const index = new Bm25Index();
    for (const [slot, terms] of documents) index.add(slot, terms);
    const query = ['wing', 'flow', 'flow', 'missing'];
    const expected = [...textbook(documents, query)].sort((a, b) => b[1] - a[1]);
    const hits = index.search(query, 10, () => true);
    expect(hits.map((hit) => hit.slot)).toEqual(expected.map(([slot]) => slot));
    hits.forEach((hit, i) => {
      expect(hit.score).toBeCloseTo(expected[i]?.[1] ?? Number.NaN, 12);
    });
  });

  it('keeps statistics exact for live rows after removals, and honours the filter and limit', () => {
    const index = new Bm25Index();
    for (const [slot, terms] of documents) index.add(slot, terms);
    index.remove(3);
    index.remove(3);
    index.add(5, ['wing', 'speed']);
    const live = new Map(documents);
    live.delete(3);
    live.set(5, ['wing', 'speed']);
    const query = ['wing', 'speed'];
    const expected = [...textbook(live, query)].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const hits = index.search(query, 10, () => true);
    expect(hits.map((hit) => [hit.slot, hit.score])).toEqual(
      expected.map(([slot, score]) => [slot, expect.closeTo(score, 12)]),
    );
    expect(index.search(query, 1, (slot) => slot !== expected[0]?.[0]).map((hit) => hit.slot)).toEqual([
      expected[1]?.[0],
    ]);
    expect(index.search(['heat'], 10, () => true)).toEqual([]);
  });

  it('ignores empty documents and answers nothing when empty', () => {
    const index = new Bm25Index();
    expect(index.search(['wing'], 5, () => true)).toEqual([]);
    index.add(0, []);
    expect(index.search(['wing'], 5, () => true)).toEqual([]);
  });
});
