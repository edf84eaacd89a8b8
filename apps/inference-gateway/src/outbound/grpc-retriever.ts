/**
 * The Retriever backed by `keel.retrieval.v1.Retrieval/Search` (hybrid mode). Unreachable or
 * slow → a retryable `unavailable('retrieval', ...)` (from callUnary), served as 503.
 */
import { RetrievalClient, SearchMode, type SearchRequest, type SearchResponse } from '@keel/contracts/retrieval/v1';
import { callUnary, createGrpcClient, type InternalClientIdentity } from '@keel/platform';
import type { RetrievedPassage, Retriever } from '../answering/retriever.js';

export interface GrpcRetriever extends Retriever {
  close(): void;
}

export function createGrpcRetriever(options: {
  address: string;
  deadlineMs: number;
  identity: InternalClientIdentity;
}): GrpcRetriever {
  const client = createGrpcClient(RetrievalClient, options.address, options.identity);
  return {
    async search(query) {
      const response = await callUnary<SearchRequest, SearchResponse>(
        client.search.bind(client),
        {
          tenantId: query.tenantId,
          query: query.query,
          topK: query.topK,
          aclGroups: [...query.aclGroups],
          mode: SearchMode.SEARCH_MODE_HYBRID,
          filters: { ...query.filters },
        },
        { deadlineMs: options.deadlineMs, tenantId: query.tenantId, dependency: 'retrieval' },
      );
      return response.chunks.map(
        (chunk): RetrievedPassage => ({
          chunkId: chunk.chunkId,
          documentId: chunk.documentId,
          documentVersion: chunk.documentVersion,
          title: chunk.title,
          source: chunk.source,
          text: chunk.text,
          startOffset: chunk.startOffset,
          endOffset: chunk.endOffset,
          score: chunk.score,
          aclGroups: [...chunk.aclGroups],
        }),
      );
    },
    close() {
      client.close();
    },
  };
}
