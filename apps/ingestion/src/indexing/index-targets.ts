/**
 * Where the pipeline's writes go besides its own collection while the embedding model changes
 * (reindexing/ keeps it current): the other generation, embedded with the model that built it, so
 * that searches served from it miss nothing; and every collection a document's chunks may be in,
 * so that deletes and superseded versions leave none behind.
 */
import type { Embedder } from '@keel/text';

export interface IndexTarget {
  collection: string;
  embedder: Embedder;
}

export interface IndexTargetSet {
  /** Collections each write also reaches, each with its own embedder; empty outside a change. */
  mirrors(): readonly IndexTarget[];
  /** Every collection that may hold chunks, the pipeline's own included. */
  collections(): readonly string[];
}
