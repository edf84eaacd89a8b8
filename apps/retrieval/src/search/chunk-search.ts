/**
 * Search over the chunk collection, scoped to one tenant and the caller's ACL groups. The scope is
 * a filter the index applies before ranking (so a tenant's top-k is never crowded out by others'
 * chunks), and every hit is checked against it again before it leaves: a misbehaving index adapter
 * must not be able to leak another tenant's text.
 */
import type { RetrievedChunk, SearchResponse } from '@keel/contracts/retrieval/v1';
import type { Logger } from '@keel/platform';
import { callDependency, validationError } from '@keel/platform';
import type { Embedder } from '@keel/text';
import {
  chunkMetadataKey,
  maxSearchLimit,
  OPEN_TO_TENANT,
  type PayloadCondition,
  type PayloadValue,
  type VectorFilter,
  type VectorHit,
  type VectorIndex,
  type VectorQuery,
} from '@keel/vector-store';
import { type RerankerStatus, rerankHits } from '../reranking/rerank-hits.js';
import type { Reranker } from '../reranking/reranker.js';
import { integerField, stringField, stringListField } from './chunk-payload.js';
import { satisfies, toPayloadCondition } from './metadata-conditions.js';
import { selectByMmr } from './mmr.js';
import { fuseByScore, SCORE_FUSION_DEPTH, type SearchFusion } from './score-fusion.js';
import type { SearchQuery } from './search-query.js';
import { queryTerms, snippetOf } from './snippet.js';

/** The configured reranker, if any, and how many candidates it sees by default. */
export interface RerankSettings {
  reranker: Reranker;
  status: RerankerStatus;
  /** Default number of candidates reranked (at least top_k are). */
  candidates: number;
}

export interface ChunkSearchDeps {
  vectors: VectorIndex;
  collection: string;
  embedder: Embedder;
  logger: Logger;
  /** How hybrid search combines the dense and keyword lists (configuration, see config.ts). */
  fusion: SearchFusion;
  /** Absent: searches are never reranked. */
  rerank?: RerankSettings;
}

export interface ChunkSearch {
  search(query: SearchQuery): Promise<SearchResponse>;
}

export function scopeFilter(
  query: Pick<SearchQuery, 'tenantId' | 'aclGroups' | 'filters'> & Partial<Pick<SearchQuery, 'conditions'>>,
): VectorFilter {
  const must: PayloadCondition[] = [
    { key: 'tenantId', equals: query.tenantId },
    { key: 'aclGroups', anyOf: [OPEN_TO_TENANT, ...query.aclGroups.filter((group) => group !== OPEN_TO_TENANT)] },
  ];
  for (const [key, value] of Object.entries(query.filters)) must.push({ key: chunkMetadataKey(key), equals: value });
  for (const condition of query.conditions ?? []) must.push(toPayloadCondition(condition));
  return { must };
}

function isInScope(hit: VectorHit, query: SearchQuery): boolean {
  if (stringField(hit.payload, 'tenantId') !== query.tenantId) return false;
  const allowed = new Set([OPEN_TO_TENANT, ...query.aclGroups]);
  if (!stringListField(hit.payload, 'aclGroups').some((group) => allowed.has(group))) return false;
  if (!Object.entries(query.filters).every(([key, value]) => hit.payload[chunkMetadataKey(key)] === value)) {
    return false;
  }
  return query.conditions.every((condition) => satisfies(hit.payload, condition));
}

/** A hit on its way out, with the rank retrieval gave it (reranking and MMR may move it). */
interface RankedHit extends VectorHit {
  retrievalRank: number;
  rerankScore?: number;
}

const metadataPrefix = chunkMetadataKey('');

function metadataOf(payload: Record<string, PayloadValue>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (key.startsWith(metadataPrefix)) {
      metadata[key.slice(metadataPrefix.length)] = Array.isArray(value) ? value.join(',') : String(value);
    }
  }
  return metadata;
}

/** The pages of a chunk of a paged document (PDF), 1-based; nothing for other documents. */
function pagesOf(payload: Record<string, PayloadValue>): { page?: number; pageEnd?: number } {
  const page = integerField(payload, 'page');
  if (page < 1) return {};
  return { page, pageEnd: Math.max(page, integerField(payload, 'pageEnd')) };
}

function toRetrievedChunk(hit: RankedHit, query: SearchQuery, terms: ReadonlySet<string>): RetrievedChunk {
  const rank = hit.retrievalRank;
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
    ...pagesOf(hit.payload),
    snippet: snippetOf(hit.text, terms),
    metadata: { entries: metadataOf(hit.payload) },
    ...(hit.rerankScore === undefined ? {} : { rerankScore: hit.rerankScore }),
  };
}

/**
 * What ingestion embedded for a chunk (its heading path, then its text): embedding it again gives
 * the chunk's stored vector, which the index does not return with hits.
 */
function embeddingInputOf(hit: VectorHit): string {
  const headingPath = stringListField(hit.payload, 'headingPath');
  return headingPath.length > 0 ? `${headingPath.join(' / ')}\n${hit.text}` : hit.text;
}

export function createChunkSearch(deps: ChunkSearchDeps): ChunkSearch {
  const { vectors, collection, embedder, logger, fusion } = deps;

  function rerankCandidatesOf(query: SearchQuery): number {
    if (query.rerank === true && !deps.rerank) {
      throw validationError([{ field: 'rerank', message: 'no reranker is configured (RERANK_URL)' }]);
    }
    if (!deps.rerank || query.rerank === false) return 0;
    return query.rerankCandidates || Math.max(query.topK, deps.rerank.candidates);
  }

  /** Both lists at the depth the weights were measured at, fused here. */
  async function searchFusedByScore(request: VectorQuery, pool: number): Promise<VectorHit[]> {
    const depth = Math.min(maxSearchLimit, Math.max(SCORE_FUSION_DEPTH, pool));
    const { fusion: _rrf, ...base } = request;
    const [dense, keyword] = await Promise.all([
      vectors.search(collection, { ...base, mode: 'dense', limit: depth }),
      vectors.search(collection, { ...base, mode: 'keyword', limit: depth }),
    ]);
    return fuseByScore(dense, keyword, pool, fusion);
  }

  return {
    async search(query) {
      const asked = rerankCandidatesOf(query);
      // MMR weighs relevance on one scale: every hit it chooses among is reranked, or none.
      const rerankCandidates = asked > 0 && query.mmr ? Math.max(asked, query.mmr.candidates) : asked;
      // MMR and the reranker choose among more hits than they return.
      const pool = Math.max(query.topK, query.mmr?.candidates ?? 0, rerankCandidates);
      const request: VectorQuery = { mode: query.mode, filter: scopeFilter(query), limit: pool };
      if (query.mode === 'hybrid') {
        request.fusion = { denseWeight: fusion.denseWeight, keywordWeight: fusion.keywordWeight };
      }
      if (query.mode !== 'dense') request.text = query.query;
      if (query.mode !== 'keyword') {
        const [vector] = await callDependency('embedder', () => embedder.embed([query.query]));
        if (!vector) throw new Error(`embedder ${embedder.id} returned no vector for the query`);
        request.vector = vector;
      }
      const hits = await callDependency('vector index', () =>
        query.mode === 'hybrid' && fusion.method === 'zscore'
          ? searchFusedByScore(request, pool)
          : vectors.search(collection, request),
      );
      const inScope = hits.filter((hit) => isInScope(hit, query));
      if (inScope.length !== hits.length) {
        logger.error(
          { tenantId: query.tenantId, dropped: hits.length - inScope.length, collection },
          'the vector index returned chunks outside the search scope; they were dropped',
        );
      }
      let ranked: RankedHit[] = inScope
        .slice(0, pool)
        .map((hit, position) => ({ ...hit, retrievalRank: position + 1 }));
      let reranked = false;
      if (deps.rerank && rerankCandidates > 0) {
        const outcome = await rerankHits({
          reranker: deps.rerank.reranker,
          status: deps.rerank.status,
          logger,
          query: query.query,
          hits: ranked,
          candidates: rerankCandidates,
          context: { tenantId: query.tenantId },
        });
        ranked = outcome.hits;
        reranked = outcome.reranked;
      }
      if (query.mmr && ranked.length > 1) {
        const candidates = ranked.slice(0, query.mmr.candidates);
        const candidateVectors = await callDependency('embedder', () =>
          embedder.embed(candidates.map(embeddingInputOf)),
        );
        const order = selectByMmr(
          candidates.map((hit, index) => ({ score: hit.score, vector: candidateVectors[index] ?? [] })),
          query.topK,
          query.mmr.lambda,
        );
        ranked = order.map((index) => candidates[index] as RankedHit);
      }
      const terms = queryTerms(query.query);
      return {
        chunks: ranked.slice(0, query.topK).map((hit) => toRetrievedChunk(hit, query, terms)),
        embedder: embedder.id,
        reranked,
        reranker: reranked && deps.rerank ? deps.rerank.reranker.id : '',
      };
    },
  };
}
