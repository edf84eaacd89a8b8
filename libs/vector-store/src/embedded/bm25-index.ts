import { TopK } from './top-k.js';

/** Textbook BM25 (Robertson/Sparck Jones with Lucene's non-negative IDF); k1 and b as everywhere. */
export const bm25Parameters = { k1: 1.2, b: 0.75 } as const;

interface Postings {
  slots: Int32Array;
  frequencies: Uint16Array;
  length: number;
  /** Live slots holding the term: the document frequency. */
  live: number;
}

/**
 * An in-memory inverted index over slots (the embedded collection's row numbers), scoring BM25
 * with statistics that are exact for the live rows: N, document frequencies and the average
 * length drop a row the moment it is removed. Postings of removed rows stay until the
 * collection compacts (they are skipped by `isLive`).
 */
export class Bm25Index {
  private readonly postings = new Map<string, Postings>();
  private readonly termsOf: (Postings[] | undefined)[] = [];
  private readonly lengths: number[] = [];
  private liveDocuments = 0;
  private liveLength = 0;
  /** Per-slot score accumulator, left all zero between searches. */
  private scratch = new Float64Array(0);

  add(slot: number, terms: readonly string[]): void {
    if (terms.length === 0) return;
    const frequencies = new Map<string, number>();
    for (const term of terms) frequencies.set(term, (frequencies.get(term) ?? 0) + 1);
    const held: Postings[] = [];
    for (const [term, frequency] of frequencies) {
      let list = this.postings.get(term);
      if (!list) {
        list = { slots: new Int32Array(4), frequencies: new Uint16Array(4), length: 0, live: 0 };
        this.postings.set(term, list);
      }
      if (list.length === list.slots.length) grow(list);
      list.slots[list.length] = slot;
      list.frequencies[list.length] = Math.min(frequency, 65_535);
      list.length++;
      list.live++;
      held.push(list);
    }
    this.termsOf[slot] = held;
    this.lengths[slot] = terms.length;
    this.liveDocuments++;
    this.liveLength += terms.length;
  }

  remove(slot: number): void {
    const held = this.termsOf[slot];
    if (!held) return;
    for (const list of held) list.live--;
    this.termsOf[slot] = undefined;
    this.liveDocuments--;
    this.liveLength -= this.lengths[slot] ?? 0;
  }

  /**
   * The `limit` best live slots for the query terms (each distinct term counted once) among those
   * `accepts` lets through, best first; ties go to the lower slot.
   */
  search(
    queryTerms: readonly string[],
    limit: number,
    accepts: (slot: number) => boolean,
  ): { slot: number; score: number }[] {
    if (this.liveDocuments === 0) return [];
    const { k1, b } = bm25Parameters;
    const averageLength = this.liveLength / this.liveDocuments;
    if (this.scratch.length < this.lengths.length) this.scratch = new Float64Array(this.lengths.length * 2);
    const scores = this.scratch;
    const touched: number[] = [];
    for (const term of new Set(queryTerms)) {
      const list = this.postings.get(term);
      if (!list || list.live === 0) continue;
      const idf = Math.log(1 + (this.liveDocuments - list.live + 0.5) / (list.live + 0.5));
      for (let i = 0; i < list.length; i++) {
        const slot = list.slots[i] as number;
        if (this.termsOf[slot] === undefined || !accepts(slot)) continue;
        const frequency = list.frequencies[i] as number;
        const norm = k1 * (1 - b + (b * (this.lengths[slot] as number)) / averageLength);
        if (scores[slot] === 0) touched.push(slot);
        scores[slot] = (scores[slot] as number) + (idf * frequency * (k1 + 1)) / (frequency + norm);
      }
    }
    const top = new TopK(limit);
    for (const slot of touched) {
      top.offer(slot, scores[slot] as number);
      scores[slot] = 0;
    }
    return top.drain();
  }
}

function grow(list: Postings): void {
  const slots = new Int32Array(list.slots.length * 2);
  slots.set(list.slots);
  const frequencies = new Uint16Array(list.frequencies.length * 2);
  frequencies.set(list.frequencies);
  list.slots = slots;
  list.frequencies = frequencies;
}
