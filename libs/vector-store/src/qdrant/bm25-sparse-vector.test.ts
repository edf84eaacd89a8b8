import { describe, expect, it } from 'vitest';
import { defaultBm25, documentSparseVector, querySparseVector, termId } from './bm25-sparse-vector.js';

describe('BM25 sparse vectors', () => {
  it('hashes terms with 32-bit FNV-1a', () => {
    // Reference values of FNV-1a 32.
    expect(termId('')).toBe(0x811c9dc5);
    expect(termId('a')).toBe(0xe40c292c);
    expect(termId('foobar')).toBe(0xbf9cf968);
  });

  it('weights document terms by saturated, length-normalised term frequency', () => {
    const text = 'Turbine turbine blade: the turbine.';
    const { indices, values } = documentSparseVector(text);
    const { k1, b, averageDocumentLength } = defaultBm25;
    // Terms: turbine ×3, blade ×1; "the" is a stopword. |d| = 4.
    const norm = k1 * (1 - b + (b * 4) / averageDocumentLength);
    const expected = new Map([
      [termId('turbine'), (3 * (k1 + 1)) / (3 + norm)],
      [termId('blade'), (1 * (k1 + 1)) / (1 + norm)],
    ]);
    expect(indices).toEqual([...expected.keys()].sort((x, y) => x - y));
    indices.forEach((index, i) => {
      expect(values[i]).toBeCloseTo(expected.get(index) as number, 12);
    });
  });

  it('gives longer documents lower weights for the same term frequency', () => {
    const short = documentSparseVector('anemometer calibration');
    const long = documentSparseVector(`anemometer calibration ${'report '.repeat(200)}`);
    const id = termId('anemometer');
    expect(long.values[long.indices.indexOf(id)]).toBeLessThan(short.values[short.indices.indexOf(id)] as number);
  });

  it('queries each distinct term once with weight 1, and is empty for stopwords', () => {
    expect(querySparseVector('blade BLADE turbine')).toEqual({
      indices: [termId('blade'), termId('turbine')].sort((x, y) => x - y),
      values: [1, 1],
    });
    expect(querySparseVector('the of and')).toEqual({ indices: [], values: [] });
  });
});
