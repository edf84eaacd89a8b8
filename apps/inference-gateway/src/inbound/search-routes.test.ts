/**
 * `POST /v1/search` over HTTP, through the real gRPC client, against a fake retrieval service (a
 * real gRPC server implementing keel.retrieval.v1.Retrieval over a small corpus, scoping and
 * filtering like the index does) that records every request it gets.
 */
import {
  type MetadataCondition,
  RetrievalService,
  type RetrievedChunk,
  SearchMode,
  type SearchRequest,
  type SearchResponse,
} from '@keel/contracts/retrieval/v1';
import {
  createLogger,
  createStaticApiKeyResolver,
  Readiness,
  type RunningGrpcServer,
  type RunningHttpServer,
  serveHttp,
  startGrpcServer,
  unaryHandler,
  validationError,
} from '@keel/platform';
import { testInternalAuth } from '@keel/platform/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGrpcRetriever, type GrpcRetriever } from '../outbound/grpc-retriever.js';
import { createSearchDocuments, highlightedHtml } from '../search/search-documents.js';
import { searchRouter } from './search-routes.js';

const logger = createLogger('search-routes-test', { level: 'silent' });

interface StoredChunk {
  tenant: string;
  groups: string[];
  chunk: RetrievedChunk;
}

function stored(tenant: string, id: string, text: string, meta: Record<string, string>, groups: string[] = []) {
  return {
    tenant,
    groups,
    chunk: {
      chunkId: `${id}:v1:0`,
      documentId: id,
      documentVersion: 'v1',
      title: `Title ${id}`,
      source: `kb://${id}.pdf`,
      text,
      startOffset: 0,
      endOffset: text.length,
      score: 0,
      denseRank: 0,
      keywordRank: 0,
      aclGroups: groups,
      metadata: { entries: meta },
      ...(meta.page ? { page: Number(meta.page), pageEnd: Number(meta.page) + 1 } : {}),
    },
  } satisfies StoredChunk;
}

const corpus: StoredChunk[] = [
  stored('acme', 'travel', 'Hotel <b>stays</b> are reimbursed up to 180 euros per night.', {
    department: 'finance',
    year: '2024',
    page: '3',
  }),
  stored('acme', 'bonus', 'Hotel managers get a bonus per night sold.', { department: 'hr', year: '2021' }, ['hr']),
  stored('acme', 'board', 'The board reviews hotel contracts every night.', { department: 'board' }, ['board']),
  stored('globex', 'globex-travel', 'Hotel rooms are reimbursed up to 400 dollars per night.', {
    department: 'finance',
  }),
];

function satisfies(meta: Record<string, string>, condition: MetadataCondition): boolean {
  const value = meta[condition.key];
  switch (condition.condition?.$case) {
    case 'equals':
      return value === condition.condition.value;
    case 'anyOf':
      return value !== undefined && condition.condition.value.values.includes(value);
    case 'exists':
      return (value !== undefined) === condition.condition.value;
    case 'range': {
      const { gt, gte, lt, lte } = condition.condition.value;
      const number = Number(value);
      if (value === undefined || !Number.isFinite(number)) return false;
      return (
        (gt === undefined || number > gt) &&
        (gte === undefined || number >= gte) &&
        (lt === undefined || number < lt) &&
        (lte === undefined || number <= lte)
      );
    }
    default:
      return false;
  }
}

/** Like the index: scope first (tenant, open or shared group), then conditions, then words shared with the query. */
function search(request: SearchRequest): SearchResponse {
  if (request.rerank === true) throw validationError([{ field: 'rerank', message: 'no reranker is configured' }]);
  const words = new Set(request.query.toLowerCase().match(/[a-z0-9]+/g) ?? []);
  const chunks = corpus
    .filter(
      ({ tenant, groups }) =>
        tenant === request.tenantId && (groups.length === 0 || groups.some((g) => request.aclGroups.includes(g))),
    )
    .filter(({ chunk }) =>
      (request.metadataFilter?.must ?? []).every((c) => satisfies(chunk.metadata?.entries ?? {}, c)),
    )
    .map(({ chunk }) => {
      const found = [...chunk.text.matchAll(/[A-Za-z0-9]+/g)].filter((match) => words.has(match[0].toLowerCase()));
      return {
        ...chunk,
        score: found.length,
        snippet: {
          text: chunk.text,
          highlights: found.map((match) => ({ start: match.index, end: match.index + match[0].length })),
        },
      };
    })
    .filter((chunk) => chunk.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, request.topK || 5);
  return { chunks, embedder: 'fake', reranked: false, reranker: '' };
}

describe('POST /v1/search', () => {
  let retrieval: RunningGrpcServer;
  let retriever: GrpcRetriever;
  let http: RunningHttpServer;
  const searches: SearchRequest[] = [];

  beforeAll(async () => {
    retrieval = await startGrpcServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      services: [
        {
          definition: RetrievalService,
          implementation: {
            search: unaryHandler<SearchRequest, SearchResponse>(logger, async (request) => {
              searches.push(request);
              return search(request);
            }),
          },
        },
      ],
      auth: testInternalAuth,
    });
    retriever = createGrpcRetriever({
      address: retrieval.address,
      deadlineMs: 5000,
      identity: { auth: testInternalAuth, callerName: 'gateway-test' },
    });
    const apiKeys = createStaticApiKeyResolver([
      { key: 'acme-key', tenantId: 'acme', aclGroups: ['hr'] },
      { key: 'globex-key', tenantId: 'globex' },
    ]);
    http = await serveHttp({
      serviceName: 'search-routes-test',
      logger,
      readiness: new Readiness(),
      port: 0,
      handlers: [searchRouter({ searchDocuments: createSearchDocuments(retriever), apiKeys })],
    });
  });

  afterAll(async () => {
    await http?.close();
    retriever?.close();
    await retrieval?.close();
  });

  beforeEach(() => {
    searches.length = 0;
  });

  function post(body: unknown, key: string | null = 'acme-key'): Promise<Response> {
    return fetch(`${http.url}/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    });
  }

  interface Hit {
    documentId: string;
    chunkId: string;
    score: number;
    text: string;
    title: string;
    source: string;
    metadata: Record<string, string>;
    page?: number;
    pageEnd?: number;
    snippet: { text: string; highlights: { start: number; end: number }[]; html: string };
    ranks: { dense: number; keyword: number };
  }
  interface Body {
    hits: Hit[];
    mode: string;
    reranked: boolean;
  }

  async function hitsOf(body: unknown, key: string | null = 'acme-key'): Promise<string[]> {
    const response = await post(body, key);
    expect(response.status).toBe(200);
    return ((await response.json()) as Body).hits.map((hit) => hit.documentId);
  }

  async function problemFields(body: unknown): Promise<string[]> {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as { errors?: { field: string }[] };
    return (problem.errors ?? []).map((error) => error.field);
  }

  it('needs an API key', async () => {
    expect((await post({ query: 'hotel' }, null)).status).toBe(401);
    expect((await post({ query: 'hotel' }, 'not-a-key')).status).toBe(401);
    expect(searches).toEqual([]);
  });

  it('answers hits with ids, score, text, snippet, title, source, metadata and page', async () => {
    const response = await post({ query: 'hotel stays night' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Body;
    expect(body).toMatchObject({ mode: 'hybrid', reranked: false });
    const [best] = body.hits;
    expect(best).toMatchObject({
      documentId: 'travel',
      chunkId: 'travel:v1:0',
      title: 'Title travel',
      source: 'kb://travel.pdf',
      text: 'Hotel <b>stays</b> are reimbursed up to 180 euros per night.',
      metadata: { department: 'finance', year: '2024', page: '3' },
      page: 3,
      pageEnd: 4,
    });
    expect(best?.score).toBeGreaterThan(0);
    // The document's own markup is escaped; only the query's terms are marked.
    expect(best?.snippet.html).toBe(
      '<mark>Hotel</mark> &lt;b&gt;<mark>stays</mark>&lt;/b&gt; are reimbursed up to 180 euros per <mark>night</mark>.',
    );
    expect(best?.snippet.highlights).toHaveLength(3);
    expect(body.hits.find((hit) => hit.documentId === 'bonus')?.page).toBeUndefined();
    expect(searches[0]).toMatchObject({
      tenantId: 'acme',
      aclGroups: ['hr'],
      topK: 10,
      mode: SearchMode.SEARCH_MODE_HYBRID,
    });
  });

  it('scopes every search to the key’s tenant and groups, whatever the body says', async () => {
    expect(await hitsOf({ query: 'hotel night' })).toEqual(expect.arrayContaining(['travel', 'bonus']));
    expect(await hitsOf({ query: 'hotel night' })).not.toContain('board');
    expect(await hitsOf({ query: 'hotel night' }, 'globex-key')).toEqual(['globex-travel']);
    expect(searches.map((request) => [request.tenantId, request.aclGroups])).toEqual([
      ['acme', ['hr']],
      ['acme', ['hr']],
      ['globex', []],
    ]);
    searches.length = 0;
    for (const field of ['tenantId', 'tenant_id', 'aclGroups', 'acl_groups', 'groups']) {
      const value = field.toLowerCase().includes('tenant') ? 'globex' : ['board'];
      expect(await problemFields({ query: 'hotel', [field]: value }), field).toEqual([field]);
    }
    const response = await post({ query: 'hotel', tenantId: 'globex', aclGroups: ['board'] });
    expect(((await response.json()) as { detail: string }).detail).toContain('come from the API key');
    // Filters cannot reach outside the scope either: a condition only narrows it.
    expect(await hitsOf({ query: 'hotel night', filters: { department: 'board' } })).toEqual([]);
    expect(searches.every((request) => request.tenantId === 'acme' && request.aclGroups.join() === 'hr')).toBe(true);
  });

  it('translates each kind of filter into a metadata condition', async () => {
    expect(await hitsOf({ query: 'hotel night', filters: { department: 'finance' } })).toEqual(['travel']);
    expect(await hitsOf({ query: 'hotel night', filters: { department: { equals: 'hr' } } })).toEqual(['bonus']);
    expect((await hitsOf({ query: 'hotel night', filters: { department: { in: ['hr', 'finance'] } } })).sort()).toEqual(
      ['bonus', 'travel'],
    );
    expect(await hitsOf({ query: 'hotel night', filters: { year: { gte: 2022, lt: 2030 } } })).toEqual(['travel']);
    expect(await hitsOf({ query: 'hotel night', filters: { page: { exists: false } } })).toEqual(['bonus']);
    expect(searches.map((request) => request.metadataFilter?.must)).toEqual([
      [{ key: 'department', condition: { $case: 'equals', value: 'finance' } }],
      [{ key: 'department', condition: { $case: 'equals', value: 'hr' } }],
      [{ key: 'department', condition: { $case: 'anyOf', value: { values: ['hr', 'finance'] } } }],
      [{ key: 'year', condition: { $case: 'range', value: { gte: 2022, lt: 2030 } } }],
      [{ key: 'page', condition: { $case: 'exists', value: false } }],
    ]);
  });

  it('passes the mode, topK, MMR and rerank options on', async () => {
    await post({ query: 'hotel', mode: 'dense', topK: 3 });
    await post({ query: 'hotel', mode: 'keyword', mmr: true, rerank: false });
    await post({ query: 'hotel', mmr: { lambda: 0.7, candidates: 30 } });
    expect(searches.map((request) => [request.mode, request.topK, request.mmr, request.rerank])).toEqual([
      [SearchMode.SEARCH_MODE_DENSE, 3, undefined, undefined],
      [SearchMode.SEARCH_MODE_KEYWORD, 10, { candidates: 0 }, false],
      [SearchMode.SEARCH_MODE_HYBRID, 10, { lambda: 0.7, candidates: 30 }, undefined],
    ]);
  });

  it('answers 400 naming the field when retrieval refuses an option (no reranker configured)', async () => {
    expect(await problemFields({ query: 'hotel', rerank: true })).toEqual(['rerank']);
    expect(await problemFields({ query: 'hotel', rerank: { candidates: 40 } })).toEqual(['rerank']);
    expect(searches.at(-1)?.rerankCandidates).toBe(40);
  });

  it('answers 400 problem+json naming the field for bad input, before searching', async () => {
    expect(await problemFields({})).toEqual(['query']);
    expect(await problemFields({ query: ' \u200b ' })).toEqual(['query']);
    expect(await problemFields({ query: 'q'.repeat(4097) })).toEqual(['query']);
    expect(await problemFields({ query: 'hotel', topK: 51 })).toEqual(['topK']);
    expect(await problemFields({ query: 'hotel', topK: 0 })).toEqual(['topK']);
    expect(await problemFields({ query: 'hotel', mode: 'fuzzy' })).toEqual(['mode']);
    expect(await problemFields({ query: 'hotel', filters: { 'a.b': 'x' } })).toEqual(['filters.a.b']);
    expect(await problemFields({ query: 'hotel', filters: { k: { in: [] } } })).toEqual(['filters.k.in']);
    expect(await problemFields({ query: 'hotel', filters: { k: { in: ['a', 3] } } })).toEqual(['filters.k.in.1']);
    expect(await problemFields({ query: 'hotel', filters: { k: { gte: '2020' } } })).toEqual(['filters.k.gte']);
    expect(await problemFields({ query: 'hotel', filters: { k: { exists: 'yes' } } })).toEqual(['filters.k.exists']);
    expect(await problemFields({ query: 'hotel', filters: { k: 42 } })).toEqual(['filters.k']);
    expect(await problemFields({ query: 'hotel', filters: { k: { gte: 1, gt: 2 } } })).toEqual(['filters.k']);
    expect(await problemFields({ query: 'hotel', filters: { k: {} } })).toEqual(['filters.k']);
    expect(await problemFields({ query: 'hotel', filters: { k: { like: 'x' } } })).toEqual(['filters.k']);
    expect(await problemFields({ query: 'hotel', filters: { k: 'x'.repeat(1025) } })).toEqual(['filters.k']);
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    expect(await problemFields({ query: 'hotel', filters: many })).toEqual(['filters']);
    expect(await problemFields({ query: 'hotel', mmr: { lambda: 2 } })).toEqual(['mmr.lambda']);
    expect(await problemFields({ query: 'hotel', mmr: { candidates: 101 } })).toEqual(['mmr.candidates']);
    expect(await problemFields({ query: 'hotel', topK: 20, mmr: { candidates: 10 } })).toEqual(['mmr.candidates']);
    expect(await problemFields({ query: 'hotel', rerank: { candidates: 0 } })).toEqual(['rerank.candidates']);
    expect(await problemFields({ query: 'hotel', limit: 5 })).toEqual(['limit']);
    // Unknown fields are named beside the other mistakes of the same body.
    expect(await problemFields({ query: '', tenantId: 'globex' })).toEqual(['query', 'tenantId']);
    expect(searches).toEqual([]);
    expect(
      (await fetch(`${http.url}/v1/search`, { method: 'POST', headers: { authorization: 'Bearer acme-key' } })).status,
    ).toBe(400);
  });

  it('answers 503 when retrieval cannot be reached', async () => {
    const unreachable = createGrpcRetriever({
      address: '127.0.0.1:9',
      deadlineMs: 1000,
      identity: { auth: testInternalAuth, callerName: 'gateway-test' },
    });
    const down = await serveHttp({
      serviceName: 'search-routes-test',
      logger,
      readiness: new Readiness(),
      port: 0,
      handlers: [
        searchRouter({
          searchDocuments: createSearchDocuments(unreachable),
          apiKeys: createStaticApiKeyResolver([{ key: 'k', tenantId: 't' }]),
        }),
      ],
    });
    try {
      const response = await fetch(`${down.url}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
        body: JSON.stringify({ query: 'hotel' }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    } finally {
      await down.close();
      unreachable.close();
    }
  });
});

describe('highlightedHtml', () => {
  it('escapes the text and marks the ranges, skipping ranges it cannot place', () => {
    expect(highlightedHtml('a <b> & "c"', [{ start: 0, end: 1 }])).toBe('<mark>a</mark> &lt;b&gt; &amp; &quot;c&quot;');
    expect(
      highlightedHtml('one two three', [
        { start: 4, end: 7 },
        { start: 5, end: 6 },
        { start: 8, end: 99 },
      ]),
    ).toBe('one <mark>two</mark> three');
  });
});
