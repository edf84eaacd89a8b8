/**
 * The Retriever port: what answering needs of the retrieval service. The gRPC client implements
 * it (outbound/grpc-retriever.ts); tests may hand in any implementation.
 */

export interface RetrievalQuery {
  tenantId: string;
  query: string;
  topK: number;
  /** The caller's ACL groups: passages restricted to other groups never come back. */
  aclGroups: readonly string[];
  /** Exact-match filters on document metadata. */
  filters: Readonly<Record<string, string>>;
}

/** A retrieved chunk with its lineage: enough to cite it precisely. */
export interface RetrievedPassage {
  chunkId: string;
  documentId: string;
  documentVersion: string;
  title: string;
  source: string;
  text: string;
  /** Character offsets of the chunk within its document's normalised text. */
  startOffset: number;
  endOffset: number;
  score: number;
  /**
   * The chunk's ACL groups (its document's); empty when the whole tenant may read it. Everything
   * derived from the passage (the answer, its completion event, reviews and evaluations of it)
   * stays restricted to readers of every such group set.
   */
  aclGroups: readonly string[];
}

export interface Retriever {
  /** Best first. Throws a retryable `unavailable('retrieval', ...)` KeelError when the service cannot answer. */
  search(query: RetrievalQuery): Promise<RetrievedPassage[]>;
}
