import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizeForSearch } from '@keel/text';
import { fuseHybrid, hybridCandidateCount } from '../hybrid-fusion.js';
import {
  lastWriteWins,
  matchesNothing,
  validateChunks,
  validateCollectionName,
  validateDimensions,
  validateFilter,
  validateQuery,
} from '../request-validation.js';
import type {
  CollectionSpec,
  IndexedChunk,
  PayloadValue,
  VectorFilter,
  VectorHit,
  VectorIndex,
  VectorQuery,
} from '../vector-index.js';
import { VectorStoreError, VectorStoreErrorCode } from '../vector-store-error.js';
import { ChunkStore } from './chunk-store.js';
import { type Admission, CollectionMemory, type ScoredSlot, unit } from './collection-memory.js';
import { HnswGraph } from './hnsw-graph.js';

export interface EmbeddedVectorIndexOptions {
  /** Holds `keel-vectors.sqlite` and the saved graphs; created if missing. Several processes may open it. */
  directory: string;
  /**
   * The most vector components (rows × dimensions) one query scores exactly (default 2,000,000:
   * 20,000 rows of 100 dimensions, about 2 ms). A collection larger than that gets an HNSW graph,
   * and a query whose filter admits more rows than that uses it.
   */
  exactSearchLimit?: number;
}

const defaultExactSearchLimit = 2_000_000;
/** A graph is saved once this many rows (and 20% of it) changed since the last save. */
const graphSaveEveryRows = 10_000;
const graphSaveGrowth = 0.2;
/** Dead slots (replaced or removed rows) beyond this many, and beyond the live ones, trigger a rebuild. */
const compactAfterDeadRows = 10_000;

interface OpenCollection {
  name: string;
  dimensions: number;
  memory: CollectionMemory;
  /** The write sequence the memory reflects. */
  applied: number;
  graph: HnswGraph | undefined;
  /** Graph rows added or removed since the graph file was last saved or loaded. */
  unsavedGraphRows: number;
}

/**
 * The embedded VectorIndex: SQLite (better-sqlite3, WAL) holds the chunks; each process keeps an
 * in-memory index of every collection it uses: unit float32 vectors scanned exactly, a usearch
 * HNSW graph once a collection is too large to scan, BM25 postings, and the payloads filters
 * run on. Before each call it reads what other processes wrote since (one indexed SQLite read
 * when nothing changed), so a retrieval process sees an ingestion process's write as soon as
 * the write returns. Writers in several processes are safe (SQLite serialises them).
 */
export async function createEmbeddedVectorIndex(options: EmbeddedVectorIndexOptions): Promise<VectorIndex> {
  mkdirSync(join(options.directory, 'graphs'), { recursive: true });
  const store = guarded(
    'opening the vector store',
    () => new ChunkStore(join(options.directory, 'keel-vectors.sqlite')),
  );
  // Tables of the LanceDB adapter this one replaced are not read: say so where operators look.
  const legacy = readdirSync(options.directory).filter((entry) => entry.endsWith('.lance'));
  const note = legacy.length > 0 ? `; ignoring ${legacy.length} LanceDB table(s) of an earlier version: re-index` : '';
  return new EmbeddedVectorIndex(store, options.directory, options.exactSearchLimit ?? defaultExactSearchLimit, note);
}

class EmbeddedVectorIndex implements VectorIndex {
  private readonly collections = new Map<string, OpenCollection>();
  private closed = false;

  constructor(
    private readonly store: ChunkStore,
    private readonly directory: string,
    private readonly exactSearchLimit: number,
    private readonly legacyNote: string,
  ) {}

  async ensureCollection(spec: CollectionSpec): Promise<void> {
    this.assertOpen();
    validateCollectionName(spec.name);
    validateDimensions(spec.dimensions);
    const record = guarded(`creating "${spec.name}"`, () => {
      this.store.createCollection(spec.name, spec.dimensions);
      return this.store.collection(spec.name);
    });
    if (record && record.dimensions !== spec.dimensions) {
      throw new VectorStoreError(
        VectorStoreErrorCode.DimensionMismatch,
        `collection "${spec.name}" exists with ${record.dimensions} dimensions, not ${spec.dimensions}`,
      );
    }
    this.require(spec.name);
  }

  async upsert(name: string, chunks: IndexedChunk[]): Promise<void> {
    this.assertOpen();
    const collection = this.require(name);
    validateChunks(chunks, collection.dimensions);
    if (chunks.length === 0) return;
    const rows = lastWriteWins(chunks).map((chunk) => ({
      id: chunk.id,
      vector: Float32Array.from(chunk.vector),
      text: chunk.text,
      terms: tokenizeForSearch(chunk.text).join(' '),
      payload: chunk.payload ?? {},
    }));
    writing(`upsert into "${name}"`, () =>
      this.store.write(name, (seq) => {
        for (const row of rows) this.store.upsert(name, seq, row);
      }),
    );
    this.catchUp(collection);
  }

  async deleteWhere(name: string, filter: VectorFilter): Promise<void> {
    this.assertOpen();
    validateCollectionName(name);
    validateFilter(filter);
    if (matchesNothing(filter)) return;
    if (guarded('reading the vector store', () => this.store.seq(name)) === undefined) return;
    const collection = this.require(name);
    // Within the write lock: rows another process adds meanwhile cannot escape the filter.
    writing(`delete from "${name}"`, () =>
      this.store.write(name, (seq) => {
        this.catchUp(collection);
        const { memory } = collection;
        const admission = memory.admit(filter);
        const { mask } = admission;
        for (let slot = 0; slot < memory.slotCount; slot++) {
          if (mask ? mask[slot] === 1 : memory.isLive(slot)) this.store.remove(name, seq, memory.ids[slot] as string);
        }
        memory.release(admission);
      }),
    );
    this.catchUp(collection);
  }

  async search(name: string, query: VectorQuery): Promise<VectorHit[]> {
    this.assertOpen();
    const collection = this.require(name);
    validateQuery(query, collection.dimensions);
    if (matchesNothing(query.filter)) return [];
    const admission = collection.memory.admit(query.filter);
    try {
      return admission.count === 0 ? [] : this.searchAdmitted(collection, query, admission);
    } finally {
      collection.memory.release(admission);
    }
  }

  private searchAdmitted(collection: OpenCollection, query: VectorQuery, admission: Admission): VectorHit[] {
    switch (query.mode) {
      case 'dense':
        return this.withText(collection, this.dense(collection, query.vector ?? [], query.limit, admission));
      case 'keyword':
        return this.withText(collection, this.keyword(collection, query.text ?? '', query.limit, admission));
      case 'hybrid': {
        const candidates = hybridCandidateCount(query.limit);
        const fused = fuseHybrid(
          this.dense(collection, query.vector ?? [], candidates, admission),
          this.keyword(collection, query.text ?? '', candidates, admission),
          query.limit,
          query.fusion,
        );
        return this.withText(collection, fused);
      }
    }
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    if (this.closed) return { ok: false, detail: 'closed' };
    try {
      return {
        ok: true,
        detail: `embedded at ${this.directory}: ${this.store.collectionCount()} collection(s)${this.legacyNote}`,
      };
    } catch (error) {
      return { ok: false, detail: `embedded at ${this.directory}: ${messageOf(error)}` };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const collection of this.collections.values()) {
      if (collection.unsavedGraphRows > 0) this.saveGraph(collection);
    }
    this.collections.clear();
    this.store.close();
  }

  // ------------------------------------------------------------------ searching

  private dense(collection: OpenCollection, vector: number[], limit: number, admission: Admission): VectorHit[] {
    const { memory, graph, dimensions } = collection;
    const query = unit(vector);
    const scanned = admission.count * dimensions;
    const found =
      (graph && scanned > this.exactSearchLimit ? memory.graphDense(graph, query, limit, admission) : undefined) ??
      memory.exactDense(query, limit, admission);
    return this.toHits(collection, found);
  }

  private keyword(collection: OpenCollection, text: string, limit: number, admission: Admission): VectorHit[] {
    const terms = tokenizeForSearch(text);
    if (terms.length === 0) return [];
    const { mask } = admission;
    const found = collection.memory.bm25.search(terms, limit, mask ? (slot) => mask[slot] === 1 : () => true);
    return this.toHits(collection, found);
  }

  /** Hits without their text: fusion drops most candidates, so only the survivors read it. */
  private toHits(collection: OpenCollection, found: ScoredSlot[]): VectorHit[] {
    const { memory } = collection;
    return found.map(({ slot, score }) => ({
      id: memory.ids[slot] as string,
      score,
      text: '',
      payload: copyPayload(memory.payloads[slot] ?? {}),
    }));
  }

  private withText(collection: OpenCollection, hits: VectorHit[]): VectorHit[] {
    const { memory } = collection;
    return guarded('reading chunk texts', () =>
      hits.map((hit) => {
        const slot = memory.slotOfId(hit.id);
        const text = slot === undefined ? undefined : this.store.text(memory.keys[slot] as number);
        return { ...hit, text: text ?? '' };
      }),
    );
  }

  // ------------------------------------------------------------------ keeping memory current

  /** The open collection, caught up with every write committed so far (by any process). */
  private require(name: string): OpenCollection {
    validateCollectionName(name);
    const record = guarded('reading the vector store', () => this.store.collection(name));
    if (!record) {
      // Misses are not cached: another process may create it next.
      this.collections.delete(name);
      throw new VectorStoreError(VectorStoreErrorCode.CollectionNotFound, `collection "${name}" does not exist`);
    }
    let collection = this.collections.get(name);
    if (!collection || collection.dimensions !== record.dimensions) {
      collection = {
        name,
        dimensions: record.dimensions,
        memory: new CollectionMemory(record.dimensions),
        applied: 0,
        graph: undefined,
        unsavedGraphRows: 0,
      };
      this.collections.set(name, collection);
    }
    if (record.seq !== collection.applied) this.catchUp(collection);
    return collection;
  }

  /**
   * Applies what was written after `applied`, all read from one snapshot: removals first (a row
   * removed and written again is in both, and the write is newer), then new and changed rows;
   * the same changes go to the graph. Builds or loads the graph when the collection outgrows
   * exact search, compacts memory when dead slots pile up, saves the graph now and then.
   */
  private catchUp(collection: OpenCollection): void {
    guarded(`reading "${collection.name}"`, () =>
      this.store.read(() => {
        const seq = this.store.seq(collection.name);
        if (seq === undefined || seq === collection.applied) return;
        const { memory } = collection;
        const graphRemovals: number[] = [];
        const graphKeys: number[] = [];
        const graphVectors: Float32Array[] = [];
        for (const removal of this.store.removedSince(collection.name, collection.applied)) {
          const key = memory.removeId(removal.id);
          if (key !== undefined) graphRemovals.push(key);
        }
        for (const chunk of this.store.changedSince(collection.name, collection.applied)) {
          const replaced = memory.put(chunk);
          if (replaced !== undefined && replaced !== chunk.key) graphRemovals.push(replaced);
          graphKeys.push(chunk.key);
          graphVectors.push(chunk.vector);
        }
        const graph = collection.graph;
        if (graph) {
          graph.remove(graphRemovals);
          graph.add(graphKeys, rowMajor(graphVectors, collection.dimensions));
          collection.unsavedGraphRows += graphRemovals.length + graphKeys.length;
        }
        collection.applied = seq;
        if (memory.deadCount > Math.max(compactAfterDeadRows, memory.liveCount)) this.compact(collection);
        if (!collection.graph && memory.liveCount * collection.dimensions > this.exactSearchLimit) {
          this.attachGraph(collection);
        }
      }),
    );
    const { graph, unsavedGraphRows } = collection;
    if (graph && unsavedGraphRows >= Math.max(graphSaveEveryRows, graphSaveGrowth * graph.size)) {
      this.saveGraph(collection);
    }
  }

  /** Within catchUp's snapshot, with memory at `applied`: rebuilds memory without dead slots. */
  private compact(collection: OpenCollection): void {
    const memory = new CollectionMemory(collection.dimensions);
    for (const chunk of this.store.changedSince(collection.name, 0)) memory.put(chunk);
    collection.memory = memory;
  }

  /** Within catchUp's snapshot: the saved graph brought up to date, or a new one built from memory. */
  private attachGraph(collection: OpenCollection): void {
    const record = this.store.collection(collection.name);
    const saved =
      record && record.graphSeq > 0 && record.graphSeq <= collection.applied
        ? HnswGraph.load(this.graphPath(collection.name, record.graphSeq), collection.dimensions)
        : undefined;
    if (saved && record) {
      saved.remove(this.store.removedSince(collection.name, record.graphSeq).map((removal) => removal.key));
      const keys: number[] = [];
      const vectors: Float32Array[] = [];
      for (const chunk of this.store.changedSince(collection.name, record.graphSeq)) {
        keys.push(chunk.key);
        vectors.push(chunk.vector);
      }
      saved.add(keys, rowMajor(vectors, collection.dimensions));
      collection.graph = saved;
      collection.unsavedGraphRows = keys.length;
      return;
    }
    const graph = new HnswGraph(collection.dimensions);
    const { keys, vectors } = collection.memory.liveVectors();
    graph.add(keys, vectors);
    collection.graph = graph;
    collection.unsavedGraphRows = keys.length;
  }

  /** Saves the graph as of `applied` and drops older files of the collection (best effort). */
  private saveGraph(collection: OpenCollection): void {
    const { graph, name, applied } = collection;
    if (!graph) return;
    try {
      graph.save(this.graphPath(name, applied));
      this.store.setGraphSeq(name, applied);
      collection.unsavedGraphRows = 0;
      const current = this.store.collection(name)?.graphSeq ?? applied;
      for (const file of readdirSync(join(this.directory, 'graphs'))) {
        const match = /^(.+)\.(\d+)\.hnsw$/.exec(file);
        if (match?.[1] === name && Number(match[2]) < current) {
          rmSync(join(this.directory, 'graphs', file), { force: true });
        }
      }
    } catch {
      // A graph that could not be saved is rebuilt by the next process that opens the collection.
    }
  }

  private graphPath(name: string, seq: number): string {
    return join(this.directory, 'graphs', `${name}.${seq}.hnsw`);
  }

  private assertOpen(): void {
    if (this.closed) throw new VectorStoreError(VectorStoreErrorCode.InvalidRequest, 'the vector index is closed');
  }
}

function rowMajor(vectors: readonly Float32Array[], dimensions: number): Float32Array {
  const matrix = new Float32Array(vectors.length * dimensions);
  vectors.forEach((vector, i) => {
    matrix.set(vector, i * dimensions);
  });
  return matrix;
}

/** Hits must not hand out the index's own payload objects. */
function copyPayload(payload: Record<string, PayloadValue>): Record<string, PayloadValue> {
  const copy: Record<string, PayloadValue> = {};
  for (const [key, value] of Object.entries(payload)) copy[key] = Array.isArray(value) ? [...value] : value;
  return copy;
}

function guarded<T>(what: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof VectorStoreError) throw error;
    throw new VectorStoreError(VectorStoreErrorCode.Unavailable, `${what} failed: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/** A write that waited out the busy timeout behind another process's write can be retried. */
function writing<T>(what: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof VectorStoreError) throw error;
    const busy = (error as { code?: unknown }).code === 'SQLITE_BUSY';
    throw new VectorStoreError(
      busy ? VectorStoreErrorCode.WriteConflict : VectorStoreErrorCode.Unavailable,
      `${what} failed: ${messageOf(error)}`,
      { cause: error },
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
