/**
 * Lineage, delete by source prefix and job progress over HTTP, against the real service (embedded
 * bus, SQLite store, embedded vector index) with the policy scan off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createLogger, type RunningService } from '@keel/platform';
import { waitFor } from '@keel/testing';
import { chunkCollectionName } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIngestionConfig } from '../config.js';
import { startIngestionService } from '../service.js';
import { HashingEmbedder } from '../testing/fakes.js';

const embedder = new HashingEmbedder(32);
let service: RunningService;
let baseUrl: string;
let close: () => Promise<void>;
let vectors: Awaited<ReturnType<typeof createEmbeddedVectorIndex>>;

const as = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

async function post(body: Record<string, unknown>, key = 'acme-key'): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/documents`, {
    method: 'POST',
    headers: as(key),
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  const { jobId } = (await response.json()) as { jobId: string };
  const job = await finished(jobId, key);
  expect(job.status).toBe('indexed');
  return jobId;
}

async function finished(jobId: string, key = 'acme-key'): Promise<Record<string, unknown>> {
  return waitFor(`job ${jobId}`, async () => {
    const job = (await (await fetch(`${baseUrl}/v1/jobs/${jobId}`, { headers: as(key) })).json()) as Record<
      string,
      unknown
    >;
    return ['indexed', 'rejected', 'failed', 'deleted'].includes(job.status as string) ? job : undefined;
  });
}

async function hitsOf(documentId: string): Promise<number> {
  const hits = await vectors.search(chunkCollectionName(embedder), {
    mode: 'dense',
    vector: (await embedder.embed(['policy travel guide']))[0] as number[],
    limit: 100,
    filter: {
      must: [
        { key: 'tenantId', equals: 'acme' },
        { key: 'documentId', equals: documentId },
      ],
    },
  });
  return hits.length;
}

const GUIDE = [
  '# Travel guide',
  'Book flights through the portal at least two weeks ahead. '.repeat(30),
  '## Hotels',
  'Hotels are reimbursed up to the city rate, receipts required. '.repeat(30),
].join('\n\n');

beforeAll(async () => {
  const directory = mkdtempSync(join(tmpdir(), 'keel-ingestion-governance-'));
  const bus = createEmbeddedEventBus();
  const store = createEmbeddedDocumentStore({ path: ':memory:' });
  vectors = await createEmbeddedVectorIndex({ directory });
  service = await startIngestionService(
    { bus, store, vectors, embedder, logger: createLogger('ingestion', { level: 'silent' }) },
    loadIngestionConfig({
      HTTP_PORT: '0',
      KEEL_API_KEYS: 'acme-key=acme,legal-key=acme:legal,globex-key=globex',
      POLICY_SCAN: 'off',
      CHUNK_MAX_TOKENS: '120',
      CHUNK_OVERLAP_TOKENS: '10',
    }),
  );
  baseUrl = service.urls.http as string;
  close = async () => {
    await service.stop();
    await bus.close();
    await store.close();
    await vectors.close();
    rmSync(directory, { recursive: true, force: true });
  };
});

afterAll(async () => {
  await close?.();
});

describe('GET /v1/documents/:id/chunks', () => {
  it("shows every chunk's lineage, a page at a time", async () => {
    const jobId = await post({
      documentId: 'guide',
      title: 'Guide',
      source: 'share://policies/guide.md',
      contentType: 'text/markdown',
      text: GUIDE,
    });
    const document = (await (await fetch(`${baseUrl}/v1/documents/guide`, { headers: as('acme-key') })).json()) as {
      currentVersion: string;
      chunkCount: number;
    };
    expect(document.chunkCount).toBeGreaterThan(2);

    const first = (await (
      await fetch(`${baseUrl}/v1/documents/guide/chunks?limit=2`, { headers: as('acme-key') })
    ).json()) as {
      chunks: Record<string, unknown>[];
      nextCursor?: string;
    };
    expect(first.chunks).toHaveLength(2);
    expect(first.chunks[0]).toMatchObject({
      index: 0,
      documentId: 'guide',
      documentVersion: document.currentVersion,
      jobId,
      source: 'share://policies/guide.md',
      parser: expect.stringMatching(/markdown/),
      chunker: { maxTokens: 120, overlapTokens: 10 },
      embedder: { model: embedder.id, dimensions: 32 },
      collection: chunkCollectionName(embedder),
    });
    expect(first.nextCursor).toBeDefined();

    const all: Record<string, unknown>[] = [...first.chunks];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = (await (
        await fetch(`${baseUrl}/v1/documents/guide/chunks?limit=2&cursor=${encodeURIComponent(cursor)}`, {
          headers: as('acme-key'),
        })
      ).json()) as { chunks: Record<string, unknown>[]; nextCursor?: string };
      all.push(...page.chunks);
      cursor = page.nextCursor;
    }
    expect(all.map((chunk) => chunk.index)).toEqual(Array.from({ length: document.chunkCount }, (_, index) => index));
  });

  it('answers 404 for another tenant, 400 naming a bad limit or cursor', async () => {
    expect((await fetch(`${baseUrl}/v1/documents/guide/chunks`, { headers: as('globex-key') })).status).toBe(404);
    const badLimit = await fetch(`${baseUrl}/v1/documents/guide/chunks?limit=0`, { headers: as('acme-key') });
    expect(badLimit.status).toBe(400);
    expect(JSON.stringify(await badLimit.json())).toContain('limit');
    const badCursor = await fetch(`${baseUrl}/v1/documents/guide/chunks?cursor=nonsense`, { headers: as('acme-key') });
    expect(badCursor.status).toBe(400);
    expect(JSON.stringify(await badCursor.json())).toContain('cursor');
  });

  it('hides the chunks of a document outside the caller’s groups (404)', async () => {
    await post(
      { documentId: 'memo', source: 'share://legal/memo', text: 'Privileged memo.', aclGroups: ['legal'] },
      'legal-key',
    );
    expect((await fetch(`${baseUrl}/v1/documents/memo/chunks`, { headers: as('acme-key') })).status).toBe(404);
    expect((await fetch(`${baseUrl}/v1/documents/memo/chunks`, { headers: as('legal-key') })).status).toBe(200);
  });
});

describe('job progress', () => {
  it('shows the stage and chunk progress of a job', async () => {
    const jobId = await post({
      documentId: 'progress',
      source: 'share://x/progress',
      text: GUIDE,
      contentType: 'text/markdown',
    });
    const job = await finished(jobId);
    expect(job).toMatchObject({
      stage: 'done',
      progress: { chunksTotal: job.chunkCount, chunksIndexed: job.chunkCount },
    });
  });
});

describe('DELETE /v1/documents?sourcePrefix=', () => {
  it('deletes, as a job with counts, every readable document under the prefix from every index', async () => {
    await post({ documentId: 'a1', source: 'share://estate/a/1.txt', text: 'First travel policy.' });
    await post({ documentId: 'a2', source: 'share://estate/a/2.txt', text: 'Second travel policy.' });
    await post({ documentId: 'b1', source: 'share://estate/b/1.txt', text: 'Other travel policy.' });
    await post(
      {
        documentId: 'a-secret',
        source: 'share://estate/a/secret.txt',
        text: 'Legal travel policy.',
        aclGroups: ['legal'],
      },
      'legal-key',
    );
    expect(await hitsOf('a1')).toBeGreaterThan(0);

    const response = await fetch(`${baseUrl}/v1/documents?sourcePrefix=${encodeURIComponent('share://estate/a/')}`, {
      method: 'DELETE',
      headers: as('acme-key'),
    });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { jobId: string; kind: string };
    expect(accepted.kind).toBe('delete');
    expect(response.headers.get('location')).toBe(`/v1/jobs/${accepted.jobId}`);
    const job = await finished(accepted.jobId);
    expect(job).toMatchObject({
      status: 'deleted',
      kind: 'delete',
      sourcePrefix: 'share://estate/a/',
      counts: { matched: 2, deleted: 2 },
    });

    for (const id of ['a1', 'a2']) {
      expect((await fetch(`${baseUrl}/v1/documents/${id}`, { headers: as('acme-key') })).status).toBe(404);
      expect(await hitsOf(id)).toBe(0);
    }
    // Outside the prefix, and outside the caller's groups: kept.
    expect((await fetch(`${baseUrl}/v1/documents/b1`, { headers: as('acme-key') })).status).toBe(200);
    expect((await fetch(`${baseUrl}/v1/documents/a-secret`, { headers: as('legal-key') })).status).toBe(200);
    expect(await hitsOf('a-secret')).toBeGreaterThan(0);
  });

  it('refuses a missing or empty prefix with 400 naming it', async () => {
    for (const query of ['', '?sourcePrefix=']) {
      const response = await fetch(`${baseUrl}/v1/documents${query}`, { method: 'DELETE', headers: as('acme-key') });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain('sourcePrefix');
    }
  });
});
