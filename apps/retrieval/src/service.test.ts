import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  RetrievalClient,
  type SearchMode,
  type SearchRequest,
  type SearchResponse,
} from '@keel/contracts/retrieval/v1';
import { callUnary, createGrpcClient, grpcHealthCheck, KeelError, type RunningService } from '@keel/platform';
import { createTestLogger, testInternalAuth, testInternalAuthEnv } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import type { Embedder } from '@keel/text';
import { loadWordVectorEmbedder } from '@keel/text/embedded';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRetrievalConfig } from './config.js';
import { startRetrievalService } from './service.js';

const ACME_TRAVEL = `# Travel policy

## Flights

Flights are booked through the travel desk at least two weeks before departure.
Economy class is the rule for trips shorter than six hours.

## Hotels

Hotel stays are reimbursed up to 180 euros per night in capital cities and 120 euros elsewhere.
Breakfast is included in that amount.
`;

const ACME_SECURITY = `# Incident response

Security incidents are reported to the on-call engineer within fifteen minutes.
The rotation schedule and the escalation phone numbers are kept in the security vault.
`;

const GLOBEX_TRAVEL = `# Globex travel

Hotel rooms are reimbursed up to 400 dollars per night for every Globex employee.
`;

/**
 * Ingestion runs as its own process, as in a deployment (an app may not import another app):
 * it writes the embedded vector index in KEEL_DATA_DIR, and retrieval reads the same directory.
 */
const ingestionMain = fileURLToPath(new URL('../../ingestion/src/main.ts', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Whether a TCP connection to host:port opens (then closes it). */
function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface IngestionProcess {
  url: string;
  stop(): Promise<number | null>;
}

async function startIngestionProcess(dataDir: string): Promise<IngestionProcess> {
  const port = await freePort();
  // Both sides of this test run on the embedded stores, whatever infrastructure the shell names.
  const { KAFKA_BROKERS, MONGODB_URL, QDRANT_URL, EMBEDDINGS_BASE_URL, ...inherited } = process.env;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ingestionMain], {
    env: {
      ...inherited,
      HTTP_PORT: String(port),
      HOST: '127.0.0.1',
      KEEL_DATA_DIR: dataDir,
      POLICY_SCAN: 'off',
      // acme's key may give documents the group it belongs to.
      KEEL_API_KEYS: 'acme-key=acme:security,globex-key=globex',
      ...testInternalAuthEnv,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'the ingestion process to be ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`ingestion exited with ${child.exitCode}: ${stderr}`);
        return (await fetch(`${url}/readyz`)).status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('retrieval over gRPC, fed by ingestion', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keel-retrieval-'));
  let embedder: Embedder;
  let ingestion: IngestionProcess;
  let retrieval: RunningService;
  let client: RetrievalClient;
  let closeVectors: () => Promise<void>;
  const logs = createTestLogger('retrieval-test');

  async function ingest(apiKey: string, body: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${ingestion.url}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    await waitFor(`job ${jobId} to be indexed`, async () => {
      const job = (await (
        await fetch(`${ingestion.url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${apiKey}` } })
      ).json()) as { status: string };
      if (job.status === 'rejected') throw new Error(`job ${jobId} was rejected`);
      return job.status === 'indexed';
    });
  }

  function search(request: Partial<SearchRequest>, tenantId?: string): Promise<SearchResponse> {
    return callUnary(
      client.search.bind(client),
      { tenantId: '', query: '', topK: 0, aclGroups: [], mode: 0 as SearchMode, filters: {}, ...request },
      { deadlineMs: 5000, dependency: 'retrieval', ...(tenantId ? { tenantId } : {}) },
    );
  }

  /** The raw gRPC status, to check the code and trailers a non-Keel client would see. */
  function searchRaw(request: Partial<SearchRequest>, metadata = new Metadata()): Promise<ServiceError | null> {
    return new Promise((resolve) => {
      client.search(
        { tenantId: '', query: '', topK: 0, aclGroups: [], mode: 0 as SearchMode, filters: {}, ...request },
        metadata,
        { deadline: Date.now() + 5000 },
        (error) => resolve(error),
      );
    });
  }

  beforeAll(async () => {
    ingestion = await startIngestionProcess(directory);
    embedder = await loadWordVectorEmbedder();
    const vectors = await createEmbeddedVectorIndex({ directory: join(directory, 'vectors') });
    closeVectors = () => vectors.close();
    // No HOST: the default, loopback, is part of what is tested.
    retrieval = await startRetrievalService(
      { vectors, embedder, logger: logs.logger },
      loadRetrievalConfig({ GRPC_PORT: '0', HTTP_PORT: '0', ...testInternalAuthEnv }),
    );
    client = createGrpcClient(RetrievalClient, retrieval.urls.grpc as string, {
      auth: testInternalAuth,
      callerName: 'test',
    });

    await ingest('acme-key', {
      documentId: 'travel',
      title: 'Travel policy',
      contentType: 'text/markdown',
      text: ACME_TRAVEL,
      metadata: { department: 'finance', year: '2023' },
    });
    await ingest('acme-key', {
      documentId: 'incidents',
      title: 'Incident response',
      contentType: 'text/markdown',
      text: ACME_SECURITY,
      aclGroups: ['security'],
    });
    await ingest('globex-key', {
      documentId: 'travel',
      title: 'Globex travel',
      contentType: 'text/markdown',
      text: GLOBEX_TRAVEL,
    });
  });

  afterAll(async () => {
    client?.close();
    await retrieval?.stop();
    await closeVectors?.();
    // A clean exit (0) on SIGTERM is part of the contract of every service's main.ts.
    if (ingestion) expect(await ingestion.stop()).toBe(0);
    rmSync(directory, { recursive: true, force: true });
  });

  it('finds the chunk that answers a question, with its citation', async () => {
    const response = await search({ tenantId: 'acme', query: 'How much is a hotel night reimbursed?' });
    const [best] = response.chunks;
    expect(best?.text).toContain('180 euros per night');
    expect(best).toMatchObject({ documentId: 'travel', title: 'Travel policy' });
    expect(best?.chunkId).toMatch(new RegExp(`^travel:${best?.documentVersion}:\\d+$`));
    expect(ACME_TRAVEL.slice(best?.startOffset, best?.endOffset)).toBe(best?.text);
    expect(best?.denseRank).toBeGreaterThan(0);
    expect(best?.keywordRank).toBeGreaterThan(0);
    expect(response.embedder).toBe(embedder.id);
    expect(response.chunks.length).toBeLessThanOrEqual(5);
  });

  it('never returns another tenant’s chunks', async () => {
    const acme = await search({ tenantId: 'acme', query: 'hotel reimbursed per night dollars Globex', topK: 50 });
    expect(acme.chunks.length).toBeGreaterThan(0);
    expect(acme.chunks.every((found) => !found.text.includes('Globex'))).toBe(true);

    const globex = await search({ tenantId: 'globex', query: 'hotel reimbursed per night euros', topK: 50 });
    expect(globex.chunks.length).toBeGreaterThan(0);
    expect(globex.chunks.every((found) => found.text.includes('400 dollars') || found.text.includes('Globex'))).toBe(
      true,
    );

    // The tenant may also come from the metadata alone.
    const viaMetadata = await search({ query: 'hotel night' }, 'globex');
    expect(viaMetadata.chunks.map((found) => found.title)).toEqual(['Globex travel']);
  });

  it('returns restricted chunks only to callers in their ACL groups', async () => {
    const question = { tenantId: 'acme', query: 'Who do I report a security incident to?', topK: 50 };
    const outsider = await search(question);
    expect(outsider.chunks.map((found) => found.documentId)).not.toContain('incidents');
    const member = await search({ ...question, aclGroups: ['security'] });
    expect(member.chunks[0]?.documentId).toBe('incidents');
  });

  it('filters on document metadata', async () => {
    const finance = await search({ tenantId: 'acme', query: 'hotel', filters: { department: 'finance' }, topK: 50 });
    expect(finance.chunks.length).toBeGreaterThan(0);
    expect(finance.chunks.every((found) => found.documentId === 'travel')).toBe(true);
    const none = await search({ tenantId: 'acme', query: 'hotel', filters: { department: 'legal' } });
    expect(none.chunks).toEqual([]);
  });

  it('filters on metadata with in, equals and exists conditions', async () => {
    const ids = (response: SearchResponse) => [...new Set(response.chunks.map((found) => found.documentId))].sort();
    const ask = { tenantId: 'acme', query: 'hotel incident security travel', topK: 50, aclGroups: ['security'] };
    expect(ids(await search(ask))).toEqual(['incidents', 'travel']);
    const anyOf = await search({
      ...ask,
      metadataFilter: {
        must: [{ key: 'department', condition: { $case: 'anyOf', value: { values: ['legal', 'finance'] } } }],
      },
    });
    expect(ids(anyOf)).toEqual(['travel']);
    const equals = await search({
      ...ask,
      metadataFilter: { must: [{ key: 'department', condition: { $case: 'equals', value: 'legal' } }] },
    });
    expect(equals.chunks).toEqual([]);
    const absent = await search({
      ...ask,
      metadataFilter: { must: [{ key: 'department', condition: { $case: 'exists', value: false } }] },
    });
    expect(ids(absent)).toEqual(['incidents']);
    const present = await search({
      ...ask,
      metadataFilter: { must: [{ key: 'department', condition: { $case: 'exists', value: true } }] },
    });
    expect(ids(present)).toEqual(['travel']);
    // Every hit carries its document's metadata.
    expect(present.chunks.every((found) => found.metadata?.entries.department === 'finance')).toBe(true);

    const incomplete = await searchRaw({
      ...ask,
      metadataFilter: { must: [{ key: 'department', condition: undefined }] },
    });
    expect(incomplete?.code).toBe(status.INVALID_ARGUMENT);
    expect(incomplete?.details).toContain('metadata_filter.must[0]');
    const badRange = await searchRaw({
      ...ask,
      metadataFilter: { must: [{ key: 'year', condition: { $case: 'range', value: {} } }] },
    });
    expect(badRange?.details).toContain('metadata_filter.must[0].range');

    // Metadata values are strings; a range compares those that read as numbers.
    const yearRange = (range: { gte?: number; lt?: number }) =>
      search({ ...ask, metadataFilter: { must: [{ key: 'year', condition: { $case: 'range', value: range } }] } });
    expect(ids(await yearRange({ gte: 2020, lt: 2025 }))).toEqual(['travel']);
    expect((await yearRange({ gte: 2024 })).chunks).toEqual([]);
  });

  it('returns a snippet with the query’s terms marked, and diversifies with MMR when asked', async () => {
    const response = await search({ tenantId: 'acme', query: 'hotel reimbursed', topK: 3 });
    const [best] = response.chunks;
    const marked = (best?.snippet?.highlights ?? []).map(({ start, end }) => best?.snippet?.text.slice(start, end));
    expect(marked.map((term) => term?.toLowerCase())).toEqual(expect.arrayContaining(['hotel', 'reimbursed']));
    expect(best?.page).toBeUndefined();
    const diverse = await search({ tenantId: 'acme', query: 'hotel reimbursed', topK: 3, mmr: { candidates: 10 } });
    expect(diverse.chunks[0]?.chunkId).toBe(best?.chunkId);
    expect(diverse.chunks.length).toBeGreaterThan(0);
    expect(diverse.reranked).toBe(false);
  });

  it('answers INVALID_ARGUMENT naming the field', async () => {
    const emptyQuery = await searchRaw({ tenantId: 'acme', query: '   ' });
    expect(emptyQuery?.code).toBe(3);
    expect(emptyQuery?.details).toContain('query');
    expect(emptyQuery?.metadata.get('x-keel-error-code')[0]).toBeTruthy();

    expect((await searchRaw({ query: 'hotel' }))?.details).toContain('tenant_id');
    expect((await searchRaw({ tenantId: 'acme', query: 'hotel', topK: 51 }))?.details).toContain('top_k');

    const mismatch = new Metadata();
    mismatch.set('x-keel-tenant-id', 'globex');
    const mismatched = await searchRaw({ tenantId: 'acme', query: 'hotel' }, mismatch);
    expect(mismatched?.code).toBe(3);
    expect(mismatched?.details).toContain('tenant_id');
  });

  it('reports the ACL groups of each chunk, for the records derived from it', async () => {
    const member = await search({
      tenantId: 'acme',
      query: 'Who do I report a security incident to?',
      aclGroups: ['security'],
      topK: 50,
    });
    const restricted = member.chunks.filter((found) => found.documentId === 'incidents');
    const open = member.chunks.filter((found) => found.documentId === 'travel');
    expect(restricted.length).toBeGreaterThan(0);
    expect(open.length).toBeGreaterThan(0);
    expect(restricted.every((found) => found.aclGroups.join() === 'security')).toBe(true);
    // Open to the whole tenant: no groups (the index's "*" marker is not a group).
    expect(open.every((found) => found.aclGroups.length === 0)).toBe(true);
  });

  describe('internal authentication', () => {
    const restrictedSearch = {
      tenantId: 'acme',
      query: 'security incident on-call engineer',
      topK: 50,
      aclGroups: ['security'],
      mode: 0 as SearchMode,
      filters: {},
    };

    /** A call as anyone who can reach the port could make it: a generated client, no Keel credentials. */
    function rawSearch(metadata = new Metadata()): Promise<{ error: ServiceError | null; response?: SearchResponse }> {
      const raw = new RetrievalClient(retrieval.urls.grpc as string, credentials.createInsecure());
      return new Promise((resolve) => {
        raw.search(restrictedSearch, metadata, { deadline: Date.now() + 5000 }, (error, response) => {
          raw.close();
          resolve({ error, response });
        });
      });
    }

    it('refuses a plain Search with any tenant and groups: UNAUTHENTICATED, no chunks', async () => {
      // The same search with the internal token finds the restricted chunk: there is something to leak.
      const authorised = await search(restrictedSearch);
      expect(authorised.chunks.map((found) => found.documentId)).toContain('incidents');

      const anonymous = await rawSearch();
      expect(anonymous.error?.code).toBe(status.UNAUTHENTICATED);
      expect(anonymous.response).toBeUndefined();

      const wrongToken = new Metadata();
      wrongToken.set('authorization', `Bearer ${'x'.repeat(40)}`);
      wrongToken.set('x-keel-tenant-id', 'acme');
      const forged = await rawSearch(wrongToken);
      expect(forged.error?.code).toBe(status.UNAUTHENTICATED);
      expect(forged.response).toBeUndefined();

      // Refusals are the caller's problem: logged as warnings, never as errors.
      expect(logs.find('internal call refused').map((line) => line.level)).toEqual(['warn', 'warn']);
      expect(logs.lines().filter((line) => line.level === 'error')).toEqual([]);
    });

    it('leaves health open to probes without credentials', async () => {
      const health = grpcHealthCheck(retrieval.urls.grpc as string, { auth: {} });
      try {
        expect(await health()).toMatchObject({ ok: true });
      } finally {
        health.close();
      }
    });
  });

  it('binds to loopback unless HOST says otherwise', async () => {
    const grpcUrl = retrieval.urls.grpc as string;
    const httpUrl = new URL(retrieval.urls.http as string);
    expect(grpcUrl).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(httpUrl.hostname).toBe('127.0.0.1');
    const grpcPort = Number(grpcUrl.split(':')[1]);
    const httpPort = Number(httpUrl.port);
    expect(await canConnect('127.0.0.1', grpcPort)).toBe(true);
    expect(await canConnect('127.0.0.1', httpPort)).toBe(true);
    // Another address of this machine (the rest of 127.0.0.0/8 is loopback too on Linux) finds
    // nothing listening, as the network would not: bound to 0.0.0.0, both would answer here.
    expect(await canConnect('127.0.0.2', grpcPort)).toBe(false);
    expect(await canConnect('127.0.0.2', httpPort)).toBe(false);
  });

  it('refuses requests over the limits with INVALID_ARGUMENT naming the field, before searching', async () => {
    const fieldsOf = async (request: Partial<SearchRequest>) => {
      const error = await search(request).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(error instanceof KeelError)) throw new Error(`expected INVALID_ARGUMENT, got ${String(error)}`);
      expect(error.grpcCode).toBe(status.INVALID_ARGUMENT);
      return error.violations.map((violation) => violation.field);
    };
    const valid = { tenantId: 'acme', query: 'hotel' };
    expect(await fieldsOf({ ...valid, query: '\u200b\u200d\u2060\ufeff' })).toEqual(['query']);
    expect(await fieldsOf({ ...valid, query: 'hotel '.repeat(1000) })).toEqual(['query']);
    expect(await fieldsOf({ ...valid, aclGroups: Array.from({ length: 257 }, (_, i) => `g${i}`) })).toEqual([
      'acl_groups',
    ]);
    expect(await fieldsOf({ ...valid, aclGroups: ['staff', 'g'.repeat(257)] })).toEqual(['acl_groups[1]']);
    expect(await fieldsOf({ ...valid, filters: { department: 'x'.repeat(1025) } })).toEqual(['filters.department']);
    const manyFilters = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    expect(await fieldsOf({ ...valid, filters: manyFilters })).toEqual(['filters']);
    expect(await fieldsOf({ ...valid, tenantId: 't'.repeat(513) })).toEqual(['tenant_id']);
    expect(logs.lines().filter((line) => line.level === 'error')).toEqual([]);
  });

  it('serves grpc health and HTTP readiness', async () => {
    const health = grpcHealthCheck(retrieval.urls.grpc as string, { auth: testInternalAuth });
    try {
      expect(await health()).toMatchObject({ ok: true });
    } finally {
      health.close();
    }
    const ready = await fetch(`${retrieval.urls.http}/readyz`);
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
    expect(Object.keys(report.checks).sort()).toEqual(['embedder', 'index', 'vector-index']);
  });
});
