import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createLogger, type RunningService } from '@keel/platform';
import { testInternalAuthEnv } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import type { Embedder } from '@keel/text';
import { chunkCollectionName, type VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadIngestionConfig } from '../config.js';
import type { IndexStatusView } from '../reindexing/index-status.js';
import { startIngestionService } from '../service.js';
import { HashingEmbedder } from '../testing/fakes.js';

const modelA = new HashingEmbedder(32);
const modelB = new HashingEmbedder(40);
const known = new Map<string, Embedder>([
  [modelA.id, modelA],
  [modelB.id, modelB],
]);
const asAcme = { authorization: 'Bearer acme-key', 'content-type': 'application/json' };

let directory: string;
let store: DocumentStore;
let vectors: VectorIndex;

async function start(embedder: Embedder): Promise<{ service: RunningService; baseUrl: string; stop(): Promise<void> }> {
  const bus = createEmbeddedEventBus();
  const config = loadIngestionConfig({
    HTTP_PORT: '0',
    HOST: '127.0.0.1',
    KEEL_API_KEYS: 'acme-key=acme',
    POLICY_SCAN: 'off',
    INDEX_REFRESH_MS: '100',
    INGEST_REINDEX_PAGE: '2',
    ...testInternalAuthEnv,
  });
  const service = await startIngestionService(
    {
      bus,
      store,
      vectors,
      embedder,
      resolveEmbedder: async (spec) => known.get(spec.id) ?? null,
      logger: createLogger('ingestion', { level: 'silent' }),
    },
    config,
  );
  return {
    service,
    baseUrl: service.urls.http as string,
    async stop() {
      await service.stop();
      await bus.close();
    },
  };
}

async function indexed(baseUrl: string, documentId: string, text: string): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/documents`, {
    method: 'POST',
    headers: asAcme,
    body: JSON.stringify({ documentId, title: documentId, source: `s3://${documentId}`, text }),
  });
  expect(response.status).toBe(202);
  const { jobId } = (await response.json()) as { jobId: string };
  await waitFor(`job ${jobId} indexed`, async () => {
    const job = (await (await fetch(`${baseUrl}/v1/jobs/${jobId}`, { headers: asAcme })).json()) as { status: string };
    return job.status === 'indexed';
  });
}

const statusOf = async (baseUrl: string) =>
  (await (await fetch(`${baseUrl}/v1/index`, { headers: asAcme })).json()) as IndexStatusView;

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'keel-index-routes-'));
  store = createEmbeddedDocumentStore({ path: join(directory, 'ingestion.db') });
  vectors = await createEmbeddedVectorIndex({ directory: join(directory, 'vectors') });
});

afterEach(async () => {
  await vectors.close();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('GET /v1/index', () => {
  it('needs an API key, and shows a model change from the build to the switch', async () => {
    const first = await start(modelA);
    try {
      expect((await fetch(`${first.baseUrl}/v1/index`)).status).toBe(401);
      for (const id of ['travel', 'expenses', 'security']) {
        await indexed(first.baseUrl, id, `# ${id}\n\nThe ${id} policy of the company, in a few plain words.`);
      }
      const before = await statusOf(first.baseUrl);
      expect(before).toMatchObject({
        configured: { id: modelA.id, dimensions: 32 },
        active: { collection: chunkCollectionName(modelA), embedder: { id: modelA.id } },
        building: null,
        unreachable: [],
      });
    } finally {
      await first.stop();
    }

    // Restarted with model B: the build runs in the background and switches when complete.
    const second = await start(modelB);
    try {
      const during = await statusOf(second.baseUrl);
      expect(during.configured.id).toBe(modelB.id);
      expect(during.active.collection === chunkCollectionName(modelA) || during.retired !== null).toBe(true);
      await waitFor(
        'the switch to model B',
        async () => (await statusOf(second.baseUrl)).active.embedder.id === modelB.id,
        {
          timeoutMs: 15_000,
        },
      );
      const after = await statusOf(second.baseUrl);
      expect(after).toMatchObject({
        active: { collection: chunkCollectionName(modelB), embedder: { id: modelB.id, dimensions: 40 } },
        building: null,
        retired: { collection: chunkCollectionName(modelA) },
      });
      const [vector] = await modelB.embed(['policy company words']);
      const hits = await vectors.search(chunkCollectionName(modelB), {
        mode: 'dense',
        vector: vector as number[],
        limit: 50,
        filter: { must: [{ key: 'tenantId', equals: 'acme' }] },
      });
      expect([...new Set(hits.map((hit) => hit.payload.documentId))].sort()).toEqual([
        'expenses',
        'security',
        'travel',
      ]);
    } finally {
      await second.stop();
    }
  });
});
