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

/**
 * Every condition must hold. `equals` matches a scalar field, or an array field containing the
 * value; `anyOf` matches when the field (scalar or array) shares at least one value with the list.
 */
export interface PayloadCondition {
  key: string;
  equals?: string | number | boolean;
  anyOf?: string[];
}

export interface VectorFilter {
  must: PayloadCondition[];
}

export type SearchMode = 'dense' | 'keyword' | 'hybrid';

export interface VectorQuery {
  /** Required for dense and hybrid search. */
  vector?: number[];
  /** Required for keyword and hybrid search. */
  text?: string;
  mode: SearchMode;
  filter: VectorFilter;
  limit: number;
}

export interface VectorHit {
  id: string;
  /** Higher is better. Dense: cosine similarity; keyword: BM25; hybrid: reciprocal-rank fusion. */
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
