import type { PayloadValue, VectorFilter } from '../vector-index.js';
import { Bm25Index } from './bm25-index.js';
import type { StoredChunk } from './chunk-store.js';
import type { HnswGraph } from './hnsw-graph.js';
import { type Candidates, PayloadColumns } from './payload-columns.js';
import { TopK } from './top-k.js';

export interface ScoredSlot {
  slot: number;
  score: number;
}

/** Which rows a query may see: a per-slot mask (and, when known, the list of them), or every live row. */
export interface Admission {
  mask: Uint8Array | undefined;
  /** The admitted slots, when the filter named its candidates (unordered). */
  slots?: Int32Array;
  count: number;
}

/**
 * One collection's rows in memory, addressed by slot (an append-only row number): the stored
 * key and id, a unit-length float32 copy of the vector for exact scoring, the payload for
 * filters, and the BM25 postings. A replaced or removed row's slot dies and is never reused;
 * the owner rebuilds the whole thing (`compact`) when dead slots pile up.
 */
export class CollectionMemory {
  readonly ids: string[] = [];
  readonly keys: number[] = [];
  readonly payloads: (Record<string, PayloadValue> | undefined)[] = [];
  private vectors: Float32Array;
  private live = new Uint8Array(1024);
  private readonly slotById = new Map<string, number>();
  private readonly slotByKey = new Map<number, number>();
  readonly bm25 = new Bm25Index();
  private readonly columns = new PayloadColumns();
  liveCount = 0;
  private scratchMask = new Uint8Array(0);

  constructor(readonly dimensions: number) {
    this.vectors = new Float32Array(1024 * dimensions);
  }

  get slotCount(): number {
    return this.ids.length;
  }

  get deadCount(): number {
    return this.ids.length - this.liveCount;
  }

  slotOfKey(key: number): number | undefined {
    return this.slotByKey.get(key);
  }

  slotOfId(id: string): number | undefined {
    return this.slotById.get(id);
  }

  isLive(slot: number): boolean {
    return this.live[slot] === 1;
  }

  /** Puts a stored chunk in, replacing the live row with its id; returns the key that row had. */
  put(chunk: StoredChunk): number | undefined {
    const replaced = this.removeId(chunk.id);
    const slot = this.ids.length;
    this.ensureCapacity(slot + 1);
    this.ids.push(chunk.id);
    this.keys.push(chunk.key);
    this.payloads.push(chunk.payload);
    this.live[slot] = 1;
    this.vectors.set(unit(chunk.vector), slot * this.dimensions);
    this.slotById.set(chunk.id, slot);
    this.slotByKey.set(chunk.key, slot);
    this.bm25.add(slot, chunk.terms === '' ? [] : chunk.terms.split(' '));
    this.columns.set(slot, chunk.payload);
    this.liveCount++;
    return replaced;
  }

  /** Removes the live row with this id; returns its key. */
  removeId(id: string): number | undefined {
    const slot = this.slotById.get(id);
    if (slot === undefined) return undefined;
    this.slotById.delete(id);
    const key = this.keys[slot] as number;
    this.slotByKey.delete(key);
    this.live[slot] = 0;
    this.payloads[slot] = undefined;
    this.bm25.remove(slot);
    this.columns.clear(slot);
    this.liveCount--;
    return key;
  }

  /** The unit vector of a slot (a view, not a copy). */
  vectorOf(slot: number): Float32Array {
    return this.vectors.subarray(slot * this.dimensions, (slot + 1) * this.dimensions);
  }

  /** All live vectors and their keys, for building a graph. */
  liveVectors(): { keys: number[]; vectors: Float32Array } {
    const keys: number[] = [];
    const vectors = new Float32Array(this.liveCount * this.dimensions);
    for (let slot = 0; slot < this.ids.length; slot++) {
      if (this.live[slot] !== 1) continue;
      vectors.set(this.vectorOf(slot), keys.length * this.dimensions);
      keys.push(this.keys[slot] as number);
    }
    return { keys, vectors };
  }

  /**
   * Evaluates a filter once per query over the payload columns: the mask of live rows it admits
   * and their count. No conditions admit every live row without a mask.
   */
  admit(filter: VectorFilter): Admission {
    if (filter.must.length === 0) return { mask: undefined, count: this.liveCount };
    const slots = this.ids.length;
    // The equals/anyOf condition with the fewest candidate rows drives; the rest test those rows.
    let driver: { index: number; candidates: Candidates } | undefined;
    filter.must.forEach((condition, index) => {
      const candidates = this.columns.candidates(condition);
      if (candidates && (!driver || candidates.total < driver.candidates.total)) driver = { index, candidates };
    });
    // Walking postings pays off while they are a fraction of the rows; otherwise scan.
    if (!driver || driver.candidates.total > slots / 2) {
      const mask = this.live.slice(0, slots);
      for (const condition of filter.must) this.columns.narrow(mask, slots, condition);
      let count = 0;
      for (let slot = 0; slot < slots; slot++) count += mask[slot] as number;
      return { mask, count };
    }
    const tests = filter.must.map((condition) => this.columns.tester(condition));
    // A mask per query would be 100 KB of fresh memory at 100k rows: reuse one, all zero between
    // queries (`release` clears what this query set).
    if (this.scratchMask.length < slots)
      this.scratchMask = new Uint8Array(Math.max(slots, 2 * this.scratchMask.length));
    const mask = this.scratchMask;
    const admitted = new Int32Array(driver.candidates.total);
    let count = 0;
    const { lists, sizes } = driver.candidates;
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l] as Int32Array;
      const size = sizes[l] as number;
      for (let i = 0; i < size; i++) {
        const slot = list[i] as number;
        // Postings keep dead and repeated slots: skip them, and re-test the driver too.
        if (mask[slot] === 1 || this.live[slot] !== 1) continue;
        let holds = true;
        for (const test of tests) {
          if (!test(slot)) {
            holds = false;
            break;
          }
        }
        if (!holds) continue;
        mask[slot] = 1;
        admitted[count++] = slot;
      }
    }
    return { mask, slots: admitted.subarray(0, count), count };
  }

  /** Ends a query's use of its admission: clears the reused mask. */
  release(admission: Admission): void {
    if (admission.mask !== this.scratchMask || !admission.slots) return;
    for (const slot of admission.slots) this.scratchMask[slot] = 0;
  }

  /** Exact cosine top-k over the admitted live rows. */
  exactDense(query: Float32Array, limit: number, admission: Admission): ScoredSlot[] {
    const top = new TopK(limit);
    const { dimensions, vectors, live } = this;
    const score = (slot: number) => {
      let dot = 0;
      const offset = slot * dimensions;
      for (let d = 0; d < dimensions; d++) dot += (vectors[offset + d] as number) * (query[d] as number);
      if (dot >= top.threshold) top.offer(slot, dot);
    };
    const { mask, slots } = admission;
    if (slots) {
      for (let i = 0; i < slots.length; i++) score(slots[i] as number);
      return top.drain();
    }
    for (let slot = 0; slot < this.ids.length; slot++) {
      if (mask ? mask[slot] === 1 : live[slot] === 1) score(slot);
    }
    return top.drain();
  }

  /**
   * ANN top-k: asks the graph for enough neighbours that `limit` admitted ones are expected among
   * them (oversampled by the share the filter admits), re-scores them exactly, and returns
   * undefined when too few were admitted, so the caller scans exactly instead.
   */
  graphDense(graph: HnswGraph, query: Float32Array, limit: number, admission: Admission): ScoredSlot[] | undefined {
    const share = Math.max(admission.count, 1) / Math.max(this.liveCount, 1);
    const wanted = Math.min(this.liveCount, Math.ceil((2 * limit) / share) + 16);
    if (wanted > maxGraphCandidates) return undefined;
    const top = new TopK(limit);
    for (const key of graph.search(query, wanted)) {
      const slot = this.slotByKey.get(key);
      if (slot === undefined || (admission.mask ? admission.mask[slot] !== 1 : this.live[slot] !== 1)) continue;
      top.offer(slot, dot(this.vectorOf(slot), query));
    }
    const found = top.drain();
    return found.length >= Math.min(limit, admission.count) ? found : undefined;
  }

  private ensureCapacity(slots: number): void {
    if (slots <= this.live.length) return;
    const capacity = Math.max(slots, this.live.length * 2);
    const live = new Uint8Array(capacity);
    live.set(this.live);
    this.live = live;
    const vectors = new Float32Array(capacity * this.dimensions);
    vectors.set(this.vectors);
    this.vectors = vectors;
  }
}

/** Beyond this many neighbours a graph search costs more than the exact scan it would replace. */
const maxGraphCandidates = 4_096;

export function unit(vector: ArrayLike<number>): Float32Array {
  const copy = Float32Array.from(vector);
  let norm = 0;
  for (const value of copy) norm += value * value;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let d = 0; d < copy.length; d++) copy[d] = (copy[d] as number) / norm;
  return copy;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += (a[d] as number) * (b[d] as number);
  return sum;
}
