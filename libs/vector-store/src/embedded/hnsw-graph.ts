import { existsSync, renameSync, rmSync } from 'node:fs';
import usearch, { type Index as UsearchIndex } from 'usearch';

/**
 * usearch 2.25 HNSW settings. Connectivity 16 and expansion 128 at build time are usearch's
 * defaults; 128 candidates per query gave recall@10 0.99 on 100k low-rank vectors in
 * LIBRARIES.md (64: 0.94), and a query asking for more neighbours explores at least that many.
 */
const connectivity = 16;
const expansionAdd = 128;
const expansionSearch = 128;

/**
 * The approximate nearest-neighbour graph of one collection, keyed by the chunk's stable row key
 * in SQLite. Cosine distance on float32 copies of the vectors. It holds no ids of its own: the
 * collection maps keys to its rows, and a key it no longer knows is a removed row.
 */
export class HnswGraph {
  private readonly index: UsearchIndex;

  constructor(readonly dimensions: number) {
    this.index = new usearch.Index({
      dimensions,
      metric: usearch.MetricKind.Cos,
      quantization: usearch.ScalarKind.F32,
      connectivity,
      expansion_add: expansionAdd,
      expansion_search: expansionSearch,
      multi: false,
    });
  }

  /** A graph saved by `save`, or undefined when the file is missing or unreadable (the caller rebuilds). */
  static load(path: string, dimensions: number): HnswGraph | undefined {
    if (!existsSync(path)) return undefined;
    const graph = new HnswGraph(dimensions);
    try {
      graph.index.load(path);
    } catch {
      return undefined;
    }
    return graph.index.dimensions() === dimensions ? graph : undefined;
  }

  get size(): number {
    return this.index.size();
  }

  /** Adds vectors (row-major, `keys.length` × dimensions); a key already present is replaced. */
  add(keys: readonly number[], vectors: Float32Array): void {
    if (keys.length === 0) return;
    const bigKeys = BigUint64Array.from(keys, (key) => BigInt(key));
    const present = this.index.contains(bigKeys);
    const stale = bigKeys.filter((_, i) => (Array.isArray(present) ? present[i] : present));
    if (stale.length > 0) this.index.remove(stale);
    // Two threads at most: the machine this runs on may have two cores for everything.
    this.index.add(bigKeys, vectors, keys.length > 1 ? 2 : 1);
  }

  remove(keys: readonly number[]): void {
    if (keys.length > 0) this.index.remove(BigUint64Array.from(keys, (key) => BigInt(key)));
  }

  /** Up to `count` nearest keys, nearest first. */
  search(vector: Float32Array, count: number): number[] {
    const size = this.index.size();
    if (size === 0) return [];
    const { keys } = this.index.search(vector, Math.min(count, size), 1);
    const found: number[] = [];
    // usearch pads missing results with the largest key value.
    for (const key of keys) if (key < 0xffffffffffffffffn) found.push(Number(key));
    return found;
  }

  /** Written to a temporary file and renamed, so a reader never loads half a file. */
  save(path: string): void {
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      this.index.save(temporary);
      renameSync(temporary, path);
    } finally {
      rmSync(temporary, { force: true });
    }
  }
}
