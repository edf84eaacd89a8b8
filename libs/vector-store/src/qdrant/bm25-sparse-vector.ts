import { tokenizeForSearch } from '@keel/text';

export interface SparseVector {
  indices: number[];
  values: number[];
}

export interface Bm25Parameters {
  k1: number;
  b: number;
  /** Terms per chunk assumed by length normalisation; see `defaultBm25`. */
  averageDocumentLength: number;
}

/**
 * k1 and b are the textbook values. Qdrant cannot renormalise stored vectors when the corpus
 * changes, so the average length is a fixed estimate: chunks of Keel's default 200 tokens hold
 * 60-75 search terms (measured on Cranfield and Markdown docs).
 */
export const defaultBm25: Bm25Parameters = { k1: 1.2, b: 0.75, averageDocumentLength: 70 };

/**
 * The document side of BM25 as a sparse vector: for each term of `tokenizeForSearch(text)`,
 * tf·(k1+1) / (tf + k1·(1 − b + b·|d|/avgdl)). Qdrant multiplies it by the IDF it keeps per
 * term (`modifier: idf`) when scoring, so the dot product with a query of ones is BM25.
 */
export function documentSparseVector(text: string, parameters: Bm25Parameters = defaultBm25): SparseVector {
  const terms = tokenizeForSearch(text);
  const frequencies = termFrequencies(terms);
  const { k1, b, averageDocumentLength } = parameters;
  const norm = k1 * (1 - b + (b * terms.length) / averageDocumentLength);
  return toSparse(frequencies, (tf) => (tf * (k1 + 1)) / (tf + norm));
}

/** The query side: each distinct term once, weight 1 (repeating a query word adds nothing). */
export function querySparseVector(text: string): SparseVector {
  return toSparse(termFrequencies(tokenizeForSearch(text)), () => 1);
}

/**
 * Term ids are the 32-bit FNV-1a hash of the term's UTF-8 bytes: stable across processes and
 * versions with no vocabulary to share. Terms that collide count as one (they sum).
 */
export function termId(term: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(term, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function termFrequencies(terms: string[]): Map<number, number> {
  const frequencies = new Map<number, number>();
  for (const term of terms) {
    const id = termId(term);
    frequencies.set(id, (frequencies.get(id) ?? 0) + 1);
  }
  return frequencies;
}

function toSparse(frequencies: Map<number, number>, weight: (tf: number) => number): SparseVector {
  const indices = [...frequencies.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((id) => weight(frequencies.get(id) ?? 0)) };
}
