/**
 * The VectorIndex port: chunks with a dense vector, their text for BM25 keyword search, and a
 * flat payload used for filters (tenant, document, ACL groups, metadata). Qdrant in a cluster,
 * an embedded engine on one machine; one contract suite holds both to the same behaviour.
 */

export type PayloadValue = string | number | boolean | string[];

export interface IndexedChunk {
  /** Unique within the collection; re-upserting the same id replaces the point. */
  id: string;
  vector: number[];
  /** The text keyword (BM25) search runs on. */
  text: string;
  payload: Record<string, PayloadValue>;
}

/** Bounds of a `range` condition: at least one, each a finite number. */
export interface PayloadRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/**
 * Every condition must hold, and each has exactly one of:
 * - `equals`: a scalar field equal to the value (types are distinct: 2 is not "2"), or an array
 *   field containing it;
 * - `anyOf`: the field (scalar or array) shares at least one value with the list (`[]` matches nothing);
 * - `range`: a number field within every bound given (strings, booleans and arrays never match);
 * - `exists`: true when the key holds a value (an empty array counts as no value), false when not.
 * A missing key matches only `exists: false`.
 */
export interface PayloadCondition {
  key: string;
  equals?: string | number | boolean;
  anyOf?: string[];
  range?: PayloadRange;
  exists?: boolean;
}

export interface VectorFilter {
  must: PayloadCondition[];
}

export type SearchMode = 'dense' | 'keyword' | 'hybrid';

/**
 * How a hybrid search fuses its two lists: weighted reciprocal-rank fusion, each chunk scoring
 * denseWeight / (k + dense rank) + keywordWeight / (k + keyword rank). Only the ratio of the
 * weights matters (for a given k). A weight of 0 switches that list off: it adds no score and no
 * candidates, but its ranks are still reported.
 */
export interface HybridFusion {
  /** Non-negative and finite; at least one of the two weights must be positive. */
  denseWeight: number;
  keywordWeight: number;
  /** The RRF constant, non-negative; default 60. */
  k?: number;
}

export interface VectorQuery {
  /** Required for dense and hybrid search. */
  vector?: number[];
  /** Required for keyword and hybrid search. */
  text?: string;
  mode: SearchMode;
  filter: VectorFilter;
  limit: number;
  /** Read by hybrid search only. Default: equal weights and k 60, classic RRF. */
  fusion?: HybridFusion;
}

export interface VectorHit {
  id: string;
  /** Higher is better. Dense: cosine similarity; keyword: BM25; hybrid: the fused score (`HybridFusion`). */
  score: number;
  text: string;
  payload: Record<string, PayloadValue>;
  /** 1-based rank in the dense and keyword lists that were fused (hybrid only; 0 when absent). */
  denseRank?: number;
  keywordRank?: number;
}

export interface CollectionSpec {
  name: string;
  dimensions: number;
}

export interface VectorIndex {
  /** Creates the collection if missing; fails if it exists with other dimensions. */
  ensureCollection(spec: CollectionSpec): Promise<void>;
  upsert(collection: string, chunks: IndexedChunk[]): Promise<void>;
  /** Deletes every point matching the filter; returns nothing, is idempotent. */
  deleteWhere(collection: string, filter: VectorFilter): Promise<void>;
  search(collection: string, query: VectorQuery): Promise<VectorHit[]>;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}
