/**
 * The Reranker port: scores how well each document answers a query, usually with a cross-encoder
 * behind an HTTP endpoint (outbound/http-reranker.ts). Only compose.ts constructs one; without
 * RERANK_URL there is none and searches are never reranked.
 */

export interface Reranker {
  /** The model (or endpoint) that scores, reported with reranked responses. */
  readonly id: string;
  /** One relevance score per document, in the documents' order; higher is more relevant. */
  rerank(query: string, documents: readonly string[]): Promise<number[]>;
}

/** A reranker call that failed: `retryable` tells a transient outage from a misconfiguration. */
export class RerankerError extends Error {
  readonly code = 'RERANK.FAILED';
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RerankerError';
    this.retryable = options.retryable;
  }
}
