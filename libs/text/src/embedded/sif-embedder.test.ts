import { describe, expect, it } from 'vitest';
import { createSifEmbedder, hashedFallback, sifWeights } from './sif-embedder.js';
import type { WordVectorTable } from './word-vector-table.js';

// Rows in frequency order, as in the real package: "the" is the most frequent word.
const table: WordVectorTable = {
  source: 'fixture@1',
  dimensions: 4,
  words: ['the', 'of', 'wing', 'flap', 'banana', 'state-of-the-art'],
  vectors: Float32Array.from(
    [
      [1, 1, 1, 1],
      [1, -1, 1, -1],
      [0, 3, 0, 0],
      [0, 2.5, 0.5, 0],
      [0, 0, 0, 3],
      [2, 0, 0, 0],
    ].flat(),
  ),
};

const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);
const norm = (a: number[]) => Math.sqrt(cosine(a, a));

describe('createSifEmbedder', () => {
  const embedder = createSifEmbedder(table, 'fixture-sif', { a: 1e-3 });

  it('returns one unit vector per input with the configured id and dimensions', async () => {
    expect(embedder.id).toBe('fixture-sif');
    expect(embedder.dimensions).toBe(4);
    const vectors = await embedder.embed(['the wing', 'banana', '', 'zzqx']);
    expect(vectors).toHaveLength(4);
    for (const vector of vectors) {
      expect(vector).toHaveLength(4);
      expect(norm(vector)).toBeCloseTo(1, 10);
    }
  });

  it('down-weights frequent words and ignores unknown ones', async () => {
    const [theWing, wing, wingUnknown, flap, banana, the] = await embedder.embed([
      'The THE the wing',
      'wing',
      'wing zzqx frobnicate',
      'flap',
      'banana',
      'the',
    ]);
    expect(wingUnknown).toEqual(wing);
    // Unweighted, three "the" would win (cosine 0.95 against 0.76); SIF lets the rare word lead.
    expect(cosine(theWing as number[], wing as number[])).toBeGreaterThan(cosine(theWing as number[], the as number[]));
    expect(cosine(wing as number[], flap as number[])).toBeGreaterThan(cosine(wing as number[], banana as number[]));
  });

  it('looks up hyphenated compounds whole, else part by part', async () => {
    const [compound, parts] = await embedder.embed(['state-of-the-art', 'wing-banana']);
    expect(compound).toEqual([1, 0, 0, 0]);
    const [wingBanana] = await embedder.embed(['wing banana']);
    expect(parts).toEqual(wingBanana);
  });

  it('gives texts without a known word a deterministic hashed vector', async () => {
    const [a, again, other, empty] = await embedder.embed(['XJ-220 rotor', 'xj-220 ROTOR', 'QZ-9 stator', '']);
    expect(a).toEqual(again);
    expect(a).not.toEqual(other);
    expect(empty).toEqual(hashedFallback('', 4));
    expect(norm(empty as number[])).toBeCloseTo(1, 10);
  });

  it('removes the common component when asked, staying deterministic', async () => {
    const withRemoval = createSifEmbedder(table, 'x', { a: 1e-3, removeCommonComponent: true });
    const [first] = await withRemoval.embed(['wing flap']);
    const [second] = await withRemoval.embed(['wing flap']);
    expect(first).toEqual(second);
    const [plain] = await embedder.embed(['wing flap']);
    expect(first).not.toEqual(plain);
  });
});

describe('sifWeights', () => {
  it('follows a / (a + p) with Zipf probabilities from the frequency rank', () => {
    const weights = sifWeights(3, 1e-3);
    const harmonic = 1 + 1 / 2 + 1 / 3;
    expect(weights[0]).toBeCloseTo(1e-3 / (1e-3 + 1 / harmonic), 6);
    expect(weights[2]).toBeCloseTo(1e-3 / (1e-3 + 1 / (3 * harmonic)), 6);
    expect(weights[0]).toBeLessThan(weights[2] as number);
  });
});
