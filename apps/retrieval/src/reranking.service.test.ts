/**
 * Reranking through the service as deployed: compose.ts builds the HTTP reranker from RERANK_*,
 * the gRPC Search reranks with it, and a reranker that fails degrades to retrieval's order with a
 * warning and a readiness detail, never a failed search.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetrievalClient, type SearchRequest, type SearchResponse } from '@keel/contracts/retrieval/v1';
import { callUnary, createGrpcClient, type RunningService } from '@keel/platform';
import { createTestLogger, testInternalAuth, testInternalAuthEnv } from '@keel/platform/testing';
import { loadWordVectorEmbedder } from '@keel/text/embedded';
import { chunkCollectionName, type VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComposedRetrieval, composeRetrieval } from './compose.js';
import { loadRetrievalConfig } from './config.js';
import { startRetrievalService } from './service.js';

const texts = [
  'Hotel stays are reimbursed up to 180 euros per night.',
  'Hotel hotel hotel: the hotel desk books every hotel.',
  'The hotel bar closes at midnight.',
];

describe('retrieval with a reranker (RERANK_URL)', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keel-rerank-'));
  const logs = createTestLogger('retrieval-rerank-test');
  let fake: Server;
  let failing = false;
  const received: { query: string; documents: string[]; model: string }[] = [];
  let vectors: VectorIndex;
  let deps: ComposedRetrieval;
  let retrieval: RunningService;
  let client: RetrievalClient;

  beforeAll(async () => {
    // Cohere's shape; it prefers the text mentioning euros, then shorter texts.
    fake = createServer((request: IncomingMessage, response: ServerResponse) => {
      let raw = '';
      request.on('data', (part: Buffer) => {
        raw += part.toString('utf8');
      });
      request.on('end', () => {
        const body = JSON.parse(raw) as { query: string; documents: string[]; model: string };
        received.push(body);
        if (failing) {
          response.writeHead(503, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ message: 'model is loading' }));
          return;
        }
        const results = body.documents.map((document, index) => ({
          index,
          relevance_score: (document.includes('euros') ? 1 : 0) + 1 / document.length,
        }));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ results: results.sort((a, b) => b.relevance_score - a.relevance_score) }));
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const config = loadRetrievalConfig({
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      ...testInternalAuthEnv,
      RERANK_URL: `http://127.0.0.1:${(fake.address() as AddressInfo).port}/v1/rerank`,
      RERANK_MODEL: 'jina-reranker-test',
    });
    const embedder = await loadWordVectorEmbedder();
    vectors = await createEmbeddedVectorIndex({ directory });
    const collection = chunkCollectionName(embedder);
    await vectors.ensureCollection({ name: collection, dimensions: embedder.dimensions });
    const embedded = await embedder.embed(texts);
    await vectors.upsert(
      collection,
      texts.map((text, index) => ({
        id: `doc-${index}:v1:0`,
        vector: embedded[index] as number[],
        text,
        payload: { tenantId: 'acme', aclGroups: ['*'], documentId: `doc-${index}`, chunkId: `doc-${index}:v1:0` },
      })),
    );
    deps = await composeRetrieval(config, logs.logger, { vectors, embedder });
    retrieval = await startRetrievalService(deps, config);
    client = createGrpcClient(RetrievalClient, retrieval.urls.grpc as string, {
      auth: testInternalAuth,
      callerName: 'test',
    });
  });

  afterAll(async () => {
    client?.close();
    await retrieval?.stop();
    await deps?.close();
    await vectors?.close();
    fake?.closeAllConnections();
    await new Promise((resolve) => fake?.close(resolve));
    rmSync(directory, { recursive: true, force: true });
  });

  const search = (request: Partial<SearchRequest>) =>
    callUnary<SearchRequest, SearchResponse>(
      client.search.bind(client),
      { tenantId: 'acme', query: 'hotel', topK: 3, aclGroups: [], mode: 3, filters: {}, ...request },
      { deadlineMs: 5000, dependency: 'retrieval' },
    );

  async function readiness(): Promise<{ httpStatus: number; checks: Record<string, { ok: boolean; detail: string }> }> {
    const response = await fetch(`${retrieval.urls.http}/readyz`);
    return {
      ...((await response.json()) as { checks: Record<string, { ok: boolean; detail: string }> }),
      httpStatus: response.status,
    };
  }

  it('reranks every search by default once configured, and says so', async () => {
    const plain = await search({ rerank: false });
    expect(plain.reranked).toBe(false);
    expect(received).toEqual([]);
    // BM25 puts the hotel-heavy text first; the reranker prefers the one about euros.
    expect(plain.chunks[0]?.documentId).toBe('doc-1');

    const reranked = await search({});
    expect(reranked).toMatchObject({ reranked: true, reranker: 'cohere:jina-reranker-test' });
    expect(reranked.chunks.map((found) => found.documentId)).toEqual(['doc-0', 'doc-2', 'doc-1']);
    expect(reranked.chunks[0]?.rerankScore).toBeGreaterThan(1);
    expect(reranked.chunks[0]?.keywordRank).toBeGreaterThan(1);
    expect(received.at(-1)).toMatchObject({ query: 'hotel', model: 'jina-reranker-test' });
    expect(received.at(-1)?.documents).toHaveLength(3);
    const ready = await readiness();
    expect(ready.httpStatus).toBe(200);
    expect(ready.checks.reranker?.detail).toContain('last call succeeded');
  });

  it('serves retrieval’s order when the reranker fails, ready all the same, with the reason', async () => {
    failing = true;
    try {
      const degraded = await search({});
      expect(degraded.reranked).toBe(false);
      expect(degraded.chunks.map((found) => found.documentId)[0]).toBe('doc-1');
      expect(degraded.chunks.every((found) => found.rerankScore === undefined)).toBe(true);
      const ready = await readiness();
      expect(ready.httpStatus).toBe(200);
      expect(ready.checks.reranker).toMatchObject({ ok: true });
      expect(ready.checks.reranker?.detail).toMatch(/^degraded: .*HTTP 503: model is loading/);
      expect(logs.find('reranker failed').map((line) => line.level)).toContain('warn');
    } finally {
      failing = false;
    }
  });
});
