/**
 * The Retriever backed by `keel.retrieval.v1.Retrieval/Search` (hybrid mode). Unreachable or
 * slow → a retryable `unavailable('retrieval', ...)` (from callUnary), served as 503.
 */
import {
  type MetadataCondition as MetadataConditionProto,
  RetrievalClient,
  type RetrievedChunk,
  SearchMode,
  type SearchRequest,
  type SearchResponse,
} from '@keel/contracts/retrieval/v1';
import { callUnary, createGrpcClient, type InternalClientIdentity } from '@keel/platform';
import type { RetrievedPassage, Retriever } from '../answering/retriever.js';
import type {
  ChunkSearcher,
  ChunkSearchRequest,
  FoundChunk,
  MetadataCondition,
  SearchMode as SearchModeName,
} from '../search/search-documents.js';

export interface GrpcRetriever extends Retriever, ChunkSearcher {
  close(): void;
}

const searchModes: Record<SearchModeName, SearchMode> = {
  hybrid: SearchMode.SEARCH_MODE_HYBRID,
  dense: SearchMode.SEARCH_MODE_DENSE,
  keyword: SearchMode.SEARCH_MODE_KEYWORD,
};

function conditionOf(condition: MetadataCondition): MetadataConditionProto {
  const { key } = condition;
  if ('equals' in condition) return { key, condition: { $case: 'equals', value: condition.equals } };
  if ('anyOf' in condition) return { key, condition: { $case: 'anyOf', value: { values: [...condition.anyOf] } } };
  if ('range' in condition) return { key, condition: { $case: 'range', value: { ...condition.range } } };
  return { key, condition: { $case: 'exists', value: condition.exists } };
}

/** `POST /v1/search`'s request as retrieval's (hybrid, dense or keyword; metadata conditions; MMR; rerank). */
export function searchRequestOf(request: ChunkSearchRequest): SearchRequest {
  return {
    tenantId: request.tenantId,
    query: request.query,
    topK: request.topK,
    aclGroups: [...request.aclGroups],
    mode: searchModes[request.mode],
    filters: {},
    metadataFilter: { must: request.conditions.map(conditionOf) },
    ...(request.mmr ? { mmr: { lambda: request.mmr.lambda, candidates: request.mmr.candidates ?? 0 } } : {}),
    ...(request.rerank === undefined ? {} : { rerank: request.rerank }),
    ...(request.rerankCandidates === undefined ? {} : { rerankCandidates: request.rerankCandidates }),
  };
}

function foundChunkOf(chunk: RetrievedChunk): FoundChunk {
  return {
    documentId: chunk.documentId,
    documentVersion: chunk.documentVersion,
    chunkId: chunk.chunkId,
    title: chunk.title,
    source: chunk.source,
    text: chunk.text,
    startOffset: chunk.startOffset,
    endOffset: chunk.endOffset,
    score: chunk.score,
    denseRank: chunk.denseRank,
    keywordRank: chunk.keywordRank,
    snippet: {
      text: chunk.snippet?.text ?? '',
      highlights: (chunk.snippet?.highlights ?? []).map(({ start, end }) => ({ start, end })),
    },
    metadata: { ...(chunk.metadata?.entries ?? {}) },
    ...(chunk.page ? { page: chunk.page, pageEnd: chunk.pageEnd || chunk.page } : {}),
    ...(chunk.rerankScore === undefined ? {} : { rerankScore: chunk.rerankScore }),
  };
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
    async searchChunks(request) {
      const response = await callUnary<SearchRequest, SearchResponse>(
        client.search.bind(client),
        searchRequestOf(request),
        { deadlineMs: options.deadlineMs, tenantId: request.tenantId, dependency: 'retrieval' },
      );
      return {
        chunks: response.chunks.map(foundChunkOf),
        reranked: response.reranked ?? false,
        reranker: response.reranker ?? '',
      };
    },
    close() {
      client.close();
    },
  };
}
