import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, KeelError } from '@keel/platform';
import type { Embedder } from '@keel/text';
import {
  chunkCollectionName,
  type HybridFusion,
  type IndexedChunk,
  type VectorHit,
  type VectorIndex,
  type VectorQuery,
  VectorStoreError,
  VectorStoreErrorCode,
} from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RerankerStatus } from '../reranking/rerank-hits.js';
import { type Reranker, RerankerError } from '../reranking/reranker.js';
import { createChunkSearch, scopeFilter } from './chunk-search.js';
import type { SearchFusion } from './score-fusion.js';
import type { SearchQuery } from './search-query.js';

/** Bag of hashed words: texts sharing words are close. Enough to test scoping and mapping. */
const embedder: Embedder = {
  id: 'hashing-test-32',
  dimensions: 32,
  async embed(texts) {
    return texts.map((text) => {
      const vector = new Array<number>(32).fill(0);
      for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
        const slot = createHash('sha256').update(word).digest().readUInt32BE(0) % 32;
        vector[slot] = (vector[slot] ?? 0) + 1;
      }
      const norm = Math.hypot(...vector) || 1;
      return vector.map((value) => value / norm);
    });
  },
};

const collection = chunkCollectionName(embedder);
const fusion: SearchFusion = { method: 'rrf', denseWeight: 0.5, keywordWeight: 1 };
const logger = createLogger('chunk-search-test', { level: 'silent' });

async function chunk(
  id: string,
  tenantId: string,
  text: string,
  extra: { aclGroups?: string[]; meta?: Record<string, string> } = {},
): Promise<IndexedChunk> {
  const [vector] = await embedder.embed([text]);
  const payload: IndexedChunk['payload'] = {
    tenantId,
    documentId: `doc-${id}`,
    documentVersion: 'v1',
    chunkId: `doc-${id}:v1:0`,
    title: `Title ${id}`,
    source: `src/${id}`,
    startOffset: 10,
    endOffset: 10 + text.length,
    aclGroups: extra.aclGroups ?? ['*'],
  };
  for (const [key, value] of Object.entries(extra.meta ?? {})) payload[`meta.${key}`] = value;
  return { id: `doc-${id}:v1:0`, vector: vector as number[], text, payload };
}

function query(overrides: Partial<SearchQuery>): SearchQuery {
  return {
    tenantId: 'acme',
    query: 'hotel night price',
    topK: 5,
    aclGroups: [],
    mode: 'hybrid',
    filters: {},
    conditions: [],
    rerankCandidates: 0,
    ...overrides,
  };
}

let directory: string;
let vectors: VectorIndex;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'keel-chunk-search-'));
  vectors = await createEmbeddedVectorIndex({ directory });
  await vectors.ensureCollection({ name: collection, dimensions: embedder.dimensions });
  await vectors.upsert(collection, [
    await chunk('acme-hotel', 'acme', 'The hotel price per night is capped at 180 euros.', {
      meta: { department: 'hr' },
    }),
    await chunk('acme-flight', 'acme', 'Flights are booked through the travel desk.', { meta: { department: 'ops' } }),
    await chunk('acme-secret', 'acme', 'Board hotel night price: unlimited for executives.', {
      aclGroups: ['board'],
    }),
    // The best match of all, but another tenant's.
    await chunk('globex-hotel', 'globex', 'hotel night price hotel night price', { meta: { department: 'hr' } }),
  ]);
});

afterAll(async () => {
  await vectors.close();
  rmSync(directory, { recursive: true, force: true });
});

const search = (weights: HybridFusion = fusion, method: SearchFusion['method'] = 'rrf') =>
  createChunkSearch({ vectors, collection, embedder, logger, fusion: { method, ...weights } });

describe('chunk search', () => {
  it('never returns another tenant’s chunks, whatever the mode', async () => {
    for (const mode of ['hybrid', 'dense', 'keyword'] as const) {
      const { chunks } = await search().search(query({ mode, topK: 50 }));
      expect(chunks.length, mode).toBeGreaterThan(0);
      expect(
        chunks.map((found) => found.documentId),
        mode,
      ).not.toContain('doc-globex-hotel');
    }
    const { chunks } = await search().search(query({ tenantId: 'globex' }));
    expect(chunks.map((found) => found.documentId)).toEqual(['doc-globex-hotel']);
  });

  it('shows restricted chunks only to callers in one of their groups', async () => {
    const outsider = await search().search(query({ topK: 50 }));
    expect(outsider.chunks.map((found) => found.documentId)).not.toContain('doc-acme-secret');
    const member = await search().search(query({ topK: 50, aclGroups: ['board'] }));
    expect(member.chunks.map((found) => found.documentId)).toContain('doc-acme-secret');
  });

  it('applies metadata filters', async () => {
    const { chunks } = await search().search(
      query({ query: 'travel desk flights hotel', filters: { department: 'ops' } }),
    );
    expect(chunks.map((found) => found.documentId)).toEqual(['doc-acme-flight']);
  });

  it('maps hits to retrieved chunks with citations and ranks', async () => {
    const hybrid = await search().search(query({}));
    const [best] = hybrid.chunks;
    expect(best).toMatchObject({
      chunkId: 'doc-acme-hotel:v1:0',
      documentId: 'doc-acme-hotel',
      documentVersion: 'v1',
      title: 'Title acme-hotel',
      source: 'src/acme-hotel',
      text: 'The hotel price per night is capped at 180 euros.',
      startOffset: 10,
      endOffset: 10 + 'The hotel price per night is capped at 180 euros.'.length,
      denseRank: 1,
      keywordRank: 1,
    });
    expect(best?.score).toBeGreaterThan(0);
    expect(hybrid.embedder).toBe('hashing-test-32');

    const dense = await search().search(query({ mode: 'dense' }));
    expect(dense.chunks.map((found) => [found.denseRank, found.keywordRank])).toEqual(
      dense.chunks.map((_, index) => [index + 1, 0]),
    );
    const keyword = await search().search(query({ mode: 'keyword' }));
    expect(keyword.chunks.map((found) => [found.denseRank, found.keywordRank])).toEqual(
      keyword.chunks.map((_, index) => [0, index + 1]),
    );
  });

  it('fuses hybrid search with the configured weights', async () => {
    // The two lists disagree on this query: dense ranks the hotel chunk first, BM25 the flight one.
    const ask = query({ query: 'booked flights night', aclGroups: ['board'], topK: 50 });
    const order = (response: { chunks: { chunkId: string }[] }) => response.chunks.map((found) => found.chunkId);
    const keyword = order(await search().search({ ...ask, mode: 'keyword' }));
    const dense = order(await search().search({ ...ask, mode: 'dense' }));
    expect(keyword[0]).not.toBe(dense[0]);

    expect(order(await search({ denseWeight: 0, keywordWeight: 1 }).search(ask))).toEqual(keyword);
    expect(order(await search({ denseWeight: 1, keywordWeight: 0 }).search(ask))).toEqual(dense);
    expect(order(await search({ denseWeight: 1, keywordWeight: 4 }).search(ask))[0]).toBe(keyword[0]);
    expect(order(await search({ denseWeight: 4, keywordWeight: 1 }).search(ask))[0]).toBe(dense[0]);
    const [best] = (await search({ denseWeight: 0.25, keywordWeight: 1 }).search(ask)).chunks;
    expect(best?.score).toBeCloseTo(0.25 / (60 + (best?.denseRank ?? 0)) + 1 / (60 + (best?.keywordRank ?? 0)), 12);
  });

  it('passes the fusion to the index in hybrid mode only', async () => {
    const seen: VectorQuery[] = [];
    const recording: VectorIndex = {
      ensureCollection: async () => {},
      upsert: async () => {},
      deleteWhere: async () => {},
      health: async () => ({ ok: true, detail: 'recording' }),
      close: async () => {},
      async search(_collection, request) {
        seen.push(request);
        return [];
      },
    };
    const recorded = createChunkSearch({ vectors: recording, collection, embedder, logger, fusion });
    for (const mode of ['hybrid', 'dense', 'keyword'] as const) await recorded.search(query({ mode }));
    expect(seen.map((request) => [request.mode, request.fusion])).toEqual([
      ['hybrid', { denseWeight: 0.5, keywordWeight: 1 }],
      ['dense', undefined],
      ['keyword', undefined],
    ]);
  });

  it('drops hits outside the scope even if the index returns them', async () => {
    const foreign: VectorHit = {
      id: 'x',
      score: 1,
      text: 'leaked',
      payload: { tenantId: 'globex', aclGroups: ['*'], documentId: 'doc-x' },
    };
    const restricted: VectorHit = {
      id: 'y',
      score: 0.9,
      text: 'restricted',
      payload: { tenantId: 'acme', aclGroups: ['board'], documentId: 'doc-y' },
    };
    const own: VectorHit = {
      id: 'z',
      score: 0.5,
      text: 'fine',
      payload: { tenantId: 'acme', aclGroups: ['*'], documentId: 'doc-z' },
    };
    const seen: VectorQuery[] = [];
    const leaky: VectorIndex = {
      ensureCollection: async () => {},
      upsert: async () => {},
      deleteWhere: async () => {},
      health: async () => ({ ok: true, detail: 'leaky' }),
      close: async () => {},
      async search(_collection, request) {
        seen.push(request);
        return [foreign, restricted, own];
      },
    };
    const { chunks } = await createChunkSearch({ vectors: leaky, collection, embedder, logger, fusion }).search(
      query({}),
    );
    expect(chunks.map((found) => found.documentId)).toEqual(['doc-z']);
    expect(seen[0]?.filter).toEqual(scopeFilter(query({})));
  });

  it('reports an unreachable index as UNAVAILABLE, not as an internal error', async () => {
    const down: VectorIndex = {
      ensureCollection: async () => {},
      upsert: async () => {},
      deleteWhere: async () => {},
      health: async () => ({ ok: false, detail: 'down' }),
      close: async () => {},
      search: async () => {
        throw new VectorStoreError(VectorStoreErrorCode.Unavailable, 'connection refused');
      },
    };
    const failure = await createChunkSearch({ vectors: down, collection, embedder, logger, fusion })
      .search(query({}))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KeelError);
    expect(failure).toMatchObject({ grpcCode: 14, retryable: true, dependency: 'vector index' });
    expect((failure as Error).message).toContain('connection refused');
  });

  it('scopes by tenant, the open marker plus the caller’s groups, and metadata', () => {
    expect(scopeFilter({ tenantId: 'acme', aclGroups: ['hr'], filters: { year: '2024' } })).toEqual({
      must: [
        { key: 'tenantId', equals: 'acme' },
        { key: 'aclGroups', anyOf: ['*', 'hr'] },
        { key: 'meta.year', equals: '2024' },
      ],
    });
  });
});

/** An index that answers every search with the given hits (as if they matched) and records the requests. */
function scriptedIndex(hits: VectorHit[], seen: VectorQuery[] = []): VectorIndex {
  return {
    ensureCollection: async () => {},
    upsert: async () => {},
    deleteWhere: async () => {},
    health: async () => ({ ok: true, detail: 'scripted' }),
    close: async () => {},
    async search(_collection, request) {
      seen.push(request);
      return hits.slice(0, request.limit);
    },
  };
}

function acmeHit(id: string, text: string, score: number, payload: IndexedChunk['payload'] = {}): VectorHit {
  return {
    id,
    score,
    text,
    payload: { tenantId: 'acme', aclGroups: ['*'], documentId: `doc-${id}`, chunkId: id, ...payload },
  };
}

describe('chunk search: metadata conditions, snippets, reranking and MMR', () => {
  it('sends equals, in, range and exists conditions to the index with the scope', async () => {
    const seen: VectorQuery[] = [];
    await createChunkSearch({ vectors: scriptedIndex([], seen), collection, embedder, logger, fusion }).search(
      query({
        filters: { department: 'hr' },
        conditions: [
          { key: 'region', anyOf: ['eu', 'us'] },
          { key: 'year', range: { gte: 2020, lt: 2025 } },
          { key: 'archived', exists: false },
          { key: 'owner', equals: 'alice' },
        ],
      }),
    );
    expect(seen[0]?.filter.must).toEqual([
      { key: 'tenantId', equals: 'acme' },
      { key: 'aclGroups', anyOf: ['*'] },
      { key: 'meta.department', equals: 'hr' },
      { key: 'meta.region', anyOf: ['eu', 'us'] },
      { key: 'metaNum.year', range: { gte: 2020, lt: 2025 } },
      { key: 'meta.archived', exists: false },
      { key: 'meta.owner', equals: 'alice' },
    ]);
  });

  it('drops hits that break a metadata condition even if the index returns them', async () => {
    const hits = [
      acmeHit('old', 'hotel', 3, { 'meta.year': '2019' }),
      acmeHit('new', 'hotel', 2, { 'meta.year': '2023' }),
      acmeHit('archived', 'hotel', 1, { 'meta.year': '2023', 'meta.archived': 'yes' }),
    ];
    const { chunks } = await createChunkSearch({
      vectors: scriptedIndex(hits),
      collection,
      embedder,
      logger,
      fusion,
    }).search(
      query({
        mode: 'keyword',
        conditions: [
          { key: 'year', range: { gte: 2020 } },
          { key: 'archived', exists: false },
        ],
      }),
    );
    expect(chunks.map((found) => found.chunkId)).toEqual(['new']);
  });

  it('maps pages, metadata and a highlighted snippet onto each chunk', async () => {
    const hits = [
      acmeHit('pdf', 'Hotel stays are reimbursed per night.', 2, {
        page: 4,
        pageEnd: 5,
        'meta.department': 'finance',
        'meta.tags': ['travel', 'policy'],
      }),
      acmeHit('md', 'Nothing about that here.', 1, { page: 0 }),
    ];
    const { chunks } = await createChunkSearch({
      vectors: scriptedIndex(hits),
      collection,
      embedder,
      logger,
      fusion,
    }).search(query({ mode: 'keyword', query: 'hotel night' }));
    expect(chunks[0]).toMatchObject({
      page: 4,
      pageEnd: 5,
      metadata: { entries: { department: 'finance', tags: 'travel,policy' } },
      snippet: {
        text: 'Hotel stays are reimbursed per night.',
        highlights: [
          { start: 0, end: 5 },
          { start: 31, end: 36 },
        ],
      },
    });
    expect(chunks[1]?.page).toBeUndefined();
    expect(chunks[1]?.pageEnd).toBeUndefined();
    expect(chunks[1]?.snippet?.highlights).toEqual([]);
    expect(chunks[1]?.metadata?.entries).toEqual({});
  });

  it('fuses hybrid lists by z-score when configured: two searches at depth 100, fused here', async () => {
    const seen: VectorQuery[] = [];
    const hits = [acmeHit('x', 'hotel', 5), acmeHit('y', 'night', 1)];
    const response = await createChunkSearch({
      vectors: scriptedIndex(hits, seen),
      collection,
      embedder,
      logger,
      fusion: { method: 'zscore', denseWeight: 0.3, keywordWeight: 1 },
    }).search(query({ topK: 2 }));
    expect(seen.map((request) => [request.mode, request.limit, request.fusion])).toEqual([
      ['dense', 100, undefined],
      ['keyword', 100, undefined],
    ]);
    expect(seen.every((request) => request.filter.must[0]?.equals === 'acme')).toBe(true);
    expect(response.chunks.map((found) => [found.chunkId, found.denseRank, found.keywordRank])).toEqual([
      ['x', 1, 1],
      ['y', 2, 2],
    ]);
    expect(response.chunks[0]?.score).toBeCloseTo(1.3, 12);
  });

  const byWordCount: Reranker = {
    id: 'fake:words',
    async rerank(_query, documents) {
      return documents.map((document) => document.split(' ').length);
    },
  };
  const ranked = [acmeHit('short', 'a b', 3), acmeHit('long', 'a b c d', 2), acmeHit('mid', 'a b c', 1)];

  function withReranker(reranker: Reranker, seen: VectorQuery[] = []) {
    const status = new RerankerStatus(reranker);
    return {
      status,
      search: createChunkSearch({
        vectors: scriptedIndex(ranked, seen),
        collection,
        embedder,
        logger,
        fusion,
        rerank: { reranker, status, candidates: 20 },
      }),
    };
  }

  it('reranks when a reranker is configured, among more candidates than it returns', async () => {
    const seen: VectorQuery[] = [];
    const { search: reranking } = withReranker(byWordCount, seen);
    const response = await reranking.search(query({ mode: 'keyword', topK: 2 }));
    expect(seen[0]?.limit).toBe(20);
    expect(response).toMatchObject({ reranked: true, reranker: 'fake:words' });
    expect(response.chunks.map((found) => [found.chunkId, found.score, found.rerankScore, found.keywordRank])).toEqual([
      ['long', 4, 4, 2],
      ['mid', 3, 3, 3],
    ]);
    // Asked not to: retrieval's order, and only top_k fetched.
    const plain = await reranking.search(query({ mode: 'keyword', topK: 2, rerank: false }));
    expect(plain.reranked).toBe(false);
    expect(plain.chunks.map((found) => found.chunkId)).toEqual(['short', 'long']);
    expect(seen[1]?.limit).toBe(2);
    const few = await reranking.search(query({ mode: 'keyword', topK: 1, rerankCandidates: 2 }));
    expect(seen[2]?.limit).toBe(2);
    expect(few.chunks.map((found) => found.chunkId)).toEqual(['long']);
  });

  it('reranks every hit MMR chooses among, so that relevance stays on one scale', async () => {
    const sent: number[] = [];
    const counting: Reranker = {
      id: 'fake:counting',
      async rerank(query, documents) {
        sent.push(documents.length);
        return byWordCount.rerank(query, documents);
      },
    };
    const { search: reranking } = withReranker(counting);
    const response = await reranking.search(
      query({ mode: 'keyword', topK: 2, rerankCandidates: 2, mmr: { lambda: 1, candidates: 3 } }),
    );
    expect(sent).toEqual([3]);
    expect(response.chunks.map((found) => found.chunkId)).toEqual(['long', 'mid']);
  });

  it('serves retrieval’s order when the reranker fails', async () => {
    const down: Reranker = {
      id: 'fake:down',
      rerank: async () => {
        throw new RerankerError('rerank request to http://rr/rerank failed: ECONNREFUSED', { retryable: true });
      },
    };
    const { search: degraded, status } = withReranker(down);
    const response = await degraded.search(query({ mode: 'keyword', topK: 3 }));
    expect(response.reranked).toBe(false);
    expect(response.reranker).toBe('');
    expect(response.chunks.map((found) => found.chunkId)).toEqual(['short', 'long', 'mid']);
    expect(status.check().detail).toContain('degraded: fake:down failed');
  });

  it('refuses rerank: true without a configured reranker, naming the field', async () => {
    const error = await createChunkSearch({ vectors: scriptedIndex(ranked), collection, embedder, logger, fusion })
      .search(query({ rerank: true }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).violations.map((violation) => violation.field)).toEqual(['rerank']);
  });

  it('diversifies with MMR on the chunk vectors when asked', async () => {
    const duplicates = [
      acmeHit('first', 'hotel night price reimbursed', 3),
      acmeHit('copy', 'hotel night price reimbursed', 2.9),
      acmeHit('other', 'flights booked travel desk', 2),
    ];
    const seen: VectorQuery[] = [];
    const search = createChunkSearch({
      vectors: scriptedIndex(duplicates, seen),
      collection,
      embedder,
      logger,
      fusion,
    });
    const plain = await search.search(query({ mode: 'keyword', topK: 2 }));
    expect(plain.chunks.map((found) => found.chunkId)).toEqual(['first', 'copy']);
    const diverse = await search.search(query({ mode: 'keyword', topK: 2, mmr: { lambda: 0.3, candidates: 10 } }));
    expect(seen[1]?.limit).toBe(10);
    expect(diverse.chunks.map((found) => found.chunkId)).toEqual(['first', 'other']);
    // lambda 1 is relevance alone.
    const relevant = await search.search(query({ mode: 'keyword', topK: 2, mmr: { lambda: 1, candidates: 10 } }));
    expect(relevant.chunks.map((found) => found.chunkId)).toEqual(['first', 'copy']);
  });
});
