import { createHash } from 'node:crypto';
import type { Embedder } from '../embedder.js';
import { knownWordRows } from './embedding-words.js';
import type { WordVectorTable } from './word-vector-table.js';

export interface SifOptions {
  /** SIF smoothing: a word weighs a / (a + p(w)). Arora et al. recommend 1e-3 to 1e-4. */
  a?: number;
  /** Remove the projection on the common component (see `commonComponent`). */
  removeCommonComponent?: boolean;
}

/**
 * Smooth inverse frequency sentence vectors (Arora, Liang, Ma, 2017): the weighted average of
 * the word vectors, weights a / (a + p(w)), then L2-normalised.
 *
 * The package ships no word frequencies, but its vocabulary is in GloVe's corpus-frequency
 * order ("the", ",", ".", "of", ... rare names last), so p(w) is a Zipf estimate from the
 * rank: p(r) = 1 / (r · H(N)), r = 1..N.
 */
export function createSifEmbedder(table: WordVectorTable, id: string, options: SifOptions = {}): Embedder {
  const { dimensions, vectors } = table;
  const rowOf = new Map<string, number>();
  table.words.forEach((word, row) => {
    if (!rowOf.has(word)) rowOf.set(word, row);
  });
  const weights = sifWeights(table.words.length, options.a ?? 1e-3);
  const component = options.removeCommonComponent ? commonComponent(table, weights) : undefined;

  const embedOne = (text: string): number[] => {
    const rows = knownWordRows(text, rowOf);
    if (rows.length === 0) return hashedFallback(text, dimensions);
    const sum = new Float64Array(dimensions);
    for (const row of rows) {
      const weight = weights[row] ?? 0;
      const offset = row * dimensions;
      for (let i = 0; i < dimensions; i += 1) sum[i] = (sum[i] ?? 0) + weight * (vectors[offset + i] ?? 0);
    }
    if (component) subtractProjection(sum, component);
    return normalised(sum) ?? hashedFallback(text, dimensions);
  };

  return {
    id,
    dimensions,
    embed: async (texts) => texts.map(embedOne),
  };
}

export function sifWeights(count: number, a: number): Float32Array {
  let harmonic = 0;
  for (let rank = 1; rank <= count; rank += 1) harmonic += 1 / rank;
  const weights = new Float32Array(count);
  for (let row = 0; row < count; row += 1) {
    const probability = 1 / ((row + 1) * harmonic);
    weights[row] = a / (a + probability);
  }
  return weights;
}

/**
 * Arora et al. remove the first principal component of a corpus's sentence vectors. A
 * service embeds one query at a time and has no corpus, so the component is estimated from
 * the vocabulary alone: the expected sentence vector Σ p(w)·weight(w)·v(w), i.e. the direction
 * every SIF average leans towards. Deterministic and one pass over the table.
 */
export function commonComponent(table: WordVectorTable, weights: Float32Array): Float64Array {
  const { dimensions, vectors, words } = table;
  let harmonic = 0;
  for (let rank = 1; rank <= words.length; rank += 1) harmonic += 1 / rank;
  const direction = new Float64Array(dimensions);
  for (let row = 0; row < words.length; row += 1) {
    const scale = (weights[row] ?? 0) / ((row + 1) * harmonic);
    const offset = row * dimensions;
    for (let i = 0; i < dimensions; i += 1) direction[i] = (direction[i] ?? 0) + scale * (vectors[offset + i] ?? 0);
  }
  const unit = normalised(direction);
  if (!unit) throw new Error('word vectors have no common component');
  return Float64Array.from(unit);
}

function subtractProjection(vector: Float64Array, unit: Float64Array): void {
  let dot = 0;
  for (let i = 0; i < vector.length; i += 1) dot += (vector[i] ?? 0) * (unit[i] ?? 0);
  for (let i = 0; i < vector.length; i += 1) vector[i] = (vector[i] ?? 0) - dot * (unit[i] ?? 0);
}

function normalised(vector: ArrayLike<number>): number[] | undefined {
  let squares = 0;
  for (let i = 0; i < vector.length; i += 1) squares += (vector[i] ?? 0) ** 2;
  const norm = Math.sqrt(squares);
  if (!(norm > 1e-12)) return undefined;
  return Array.from(vector, (value) => value / norm);
}

/**
 * Text without a single known word (a part number, a foreign script, an empty string) still
 * gets a unit vector, so cosine similarity is defined: signed feature hashing of its
 * character trigrams. Identical texts match each other and little else.
 */
export function hashedFallback(text: string, dimensions: number): number[] {
  const vector = new Float64Array(dimensions);
  const padded = ` ${text.toLowerCase().replace(/\s+/g, ' ').trim()} `;
  for (let i = 0; i + 3 <= padded.length; i += 1) {
    const digest = createHash('sha1')
      .update(padded.slice(i, i + 3))
      .digest();
    const slot = digest.readUInt32LE(0) % dimensions;
    vector[slot] = (vector[slot] ?? 0) + ((digest[4] ?? 0) & 1 ? 1 : -1);
  }
  if (padded.trim() === '' || !normalised(vector)) {
    vector.fill(0);
    vector[0] = 1;
  }
  return normalised(vector) ?? [];
}
