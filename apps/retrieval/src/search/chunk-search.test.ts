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
import { createChunkSearch, scopeFilter } from './chunk-search.js';
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

const collection = chunkCollectionName(embedder.dimensions);
const fusion: HybridFusion = { denseWeight: 0.5, keywordWeight: 1 };
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

const search = (weights: HybridFusion = fusion) =>
  createChunkSearch({ vectors, collection, embedder, logger, fusion: weights });

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
      ['hybrid', fusion],
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
