/**
 * Search over the chunk collection, scoped to one tenant and the caller's ACL groups. The scope is
 * a filter the index applies before ranking (so a tenant's top-k is never crowded out by others'
 * chunks), and every hit is checked against it again before it leaves: a misbehaving index adapter
 * must not be able to leak another tenant's text.
 */
import type { RetrievedChunk, SearchResponse } from '@keel/contracts/retrieval/v1';
import type { Logger } from '@keel/platform';
import { callDependency } from '@keel/platform';
import type { Embedder } from '@keel/text';
import {
  chunkMetadataKey,
  type HybridFusion,
  OPEN_TO_TENANT,
  type PayloadCondition,
  type VectorFilter,
  type VectorHit,
  type VectorIndex,
  type VectorQuery,
} from '@keel/vector-store';
import { integerField, stringField, stringListField } from './chunk-payload.js';
import type { SearchQuery } from './search-query.js';

export interface ChunkSearchDeps {
  vectors: VectorIndex;
  collection: string;
  embedder: Embedder;
  logger: Logger;
  /** How hybrid search weighs the dense and keyword lists (configuration, see config.ts). */
  fusion: HybridFusion;
}

export interface ChunkSearch {
  search(query: SearchQuery): Promise<SearchResponse>;
}

export function scopeFilter(query: Pick<SearchQuery, 'tenantId' | 'aclGroups' | 'filters'>): VectorFilter {
  const must: PayloadCondition[] = [
    { key: 'tenantId', equals: query.tenantId },
    { key: 'aclGroups', anyOf: [OPEN_TO_TENANT, ...query.aclGroups.filter((group) => group !== OPEN_TO_TENANT)] },
  ];
  for (const [key, value] of Object.entries(query.filters)) must.push({ key: chunkMetadataKey(key), equals: value });
  return { must };
}

function isInScope(hit: VectorHit, query: SearchQuery): boolean {
  if (stringField(hit.payload, 'tenantId') !== query.tenantId) return false;
  const allowed = new Set([OPEN_TO_TENANT, ...query.aclGroups]);
  if (!stringListField(hit.payload, 'aclGroups').some((group) => allowed.has(group))) return false;
  return Object.entries(query.filters).every(([key, value]) => hit.payload[chunkMetadataKey(key)] === value);
}

function toRetrievedChunk(hit: VectorHit, position: number, query: SearchQuery): RetrievedChunk {
  const rank = position + 1;
  return {
    chunkId: stringField(hit.payload, 'chunkId') || hit.id,
    documentId: stringField(hit.payload, 'documentId'),
    documentVersion: stringField(hit.payload, 'documentVersion'),
    title: stringField(hit.payload, 'title'),
    source: stringField(hit.payload, 'source'),
    text: hit.text,
    startOffset: integerField(hit.payload, 'startOffset'),
    endOffset: integerField(hit.payload, 'endOffset'),
    score: hit.score,
    // Single-list modes rank by their own list; hybrid reports where each list placed the hit.
    denseRank: query.mode === 'dense' ? rank : query.mode === 'hybrid' ? (hit.denseRank ?? 0) : 0,
    keywordRank: query.mode === 'keyword' ? rank : query.mode === 'hybrid' ? (hit.keywordRank ?? 0) : 0,
    // What the caller's answer, and every record derived from it, must stay restricted to.
    aclGroups: stringListField(hit.payload, 'aclGroups').filter((group) => group !== OPEN_TO_TENANT),
  };
}

export function createChunkSearch(deps: ChunkSearchDeps): ChunkSearch {
  const { vectors, collection, embedder, logger, fusion } = deps;
  return {
    async search(query) {
      const request: VectorQuery = { mode: query.mode, filter: scopeFilter(query), limit: query.topK };
      if (query.mode === 'hybrid') request.fusion = fusion;
      if (query.mode !== 'dense') request.text = query.query;
      if (query.mode !== 'keyword') {
        const [vector] = await callDependency('embedder', () => embedder.embed([query.query]));
        if (!vector) throw new Error(`embedder ${embedder.id} returned no vector for the query`);
        request.vector = vector;
      }
      const hits = await callDependency('vector index', () => vectors.search(collection, request));
      const inScope = hits.filter((hit) => isInScope(hit, query));
      if (inScope.length !== hits.length) {
        logger.error(
          { tenantId: query.tenantId, dropped: hits.length - inScope.length, collection },
          'the vector index returned chunks outside the search scope; they were dropped',
        );
      }
      return {
        chunks: inScope.slice(0, query.topK).map((hit, position) => toRetrievedChunk(hit, position, query)),
        embedder: embedder.id,
      };
    },
  };
}
