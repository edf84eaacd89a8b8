import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { EventPublisher } from '@keel/event-bus';
import { createLogger } from '@keel/platform';
import type { Embedder } from '@keel/text';
import {
  chunkCollectionName,
  type EmbedderSpec,
  legacyChunkCollectionName,
  type VectorIndex,
} from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IngestRequest } from '../indexing/ingest-request.js';
import { createIngestion, type Ingestion } from '../indexing/ingestion.js';
import { type IngestionRecords, openIngestionRecords } from '../indexing/records.js';
import { allowAll, HashingEmbedder, RecordingEventBus, ScriptedScanner } from '../testing/fakes.js';
import { type IndexSetup, setUpIndexGenerations } from './index-setup.js';
import type { ReindexSettings } from './reindexer.js';

const logger = createLogger('reindex-test', { level: 'silent' });
/** Model A and model B: different ids, different widths, different vectors. */
const modelA = new HashingEmbedder(32);
const modelB = new HashingEmbedder(48);
const known = new Map<string, Embedder>([
  [modelA.id, modelA],
  [modelB.id, modelB],
]);
const specOf = (embedder: Embedder): EmbedderSpec => ({
  id: embedder.id,
  dimensions: embedder.dimensions,
  endpoint: null,
});

const settings: ReindexSettings = {
  pageSize: 2,
  concurrency: 2,
  embedBatchSize: 3,
  leaseMs: 10_000,
  pollMs: 50,
  graceMs: 60_000,
  maxPasses: 5,
};

let directory: string;
let store: DocumentStore;
let vectors: VectorIndex;
let records: IngestionRecords;
let clock: number;
let jobs = 0;

interface Replica {
  setup: IndexSetup;
  ingestion: Ingestion;
}

async function startReplica(embedder: Embedder, owner: string): Promise<Replica> {
  const setup = await setUpIndexGenerations({
    store,
    records,
    vectors,
    configured: { spec: specOf(embedder), embedder },
    resolve: async (spec) => known.get(spec.id) ?? null,
    logger,
    owner,
    settings,
    now: () => clock,
  });
  const ingestion = createIngestion({
    records,
    vectors,
    collection: setup.targets.collection,
    embedder,
    index: setup.targets,
    scanner: new ScriptedScanner(allowAll),
    publisher: new EventPublisher(new RecordingEventBus()),
    logger,
    embedBatchSize: 4,
    chunking: { maxTokens: 24, overlapTokens: 4 },
    now: () => clock,
  });
  return { setup, ingestion };
}

function request(documentId: string, text: string): IngestRequest {
  return {
    tenantId: 'acme',
    jobId: `job-${++jobs}`,
    documentId,
    title: documentId,
    source: `s3://acme/${documentId}.md`,
    contentType: 'text/markdown',
    text,
    metadata: {},
    aclGroups: ['*'],
  };
}

const TEXTS: Record<string, string> = {
  travel: '# Travel\n\nFlights are booked through the travel desk two weeks ahead. Hotels up to 180 euros.',
  expenses: '# Expenses\n\nReceipts are uploaded within thirty days. Meals are reimbursed with receipts only.',
  security: '# Security\n\nBadges are worn at all times. Visitors sign in at the front desk and are escorted.',
  leave: '# Leave\n\nAnnual leave is requested in the portal. Sick leave is reported to the manager by nine.',
  onboarding: '# Onboarding\n\nNew hires receive a laptop on day one and meet their buddy in the first week.',
};

/** The ids of the documents whose chunks are in a collection, searched with its own model. */
async function documentsIn(collection: string, embedder: Embedder): Promise<string[]> {
  const [vector] = await embedder.embed(['travel receipts badges leave laptop']);
  const hits = await vectors.search(collection, {
    mode: 'dense',
    vector: vector as number[],
    limit: 200,
    filter: { must: [{ key: 'tenantId', equals: 'acme' }] },
  });
  return [...new Set(hits.map((hit) => String(hit.payload.documentId)))].sort();
}

/** Every point of a collection, with its document and version. */
async function versionsIn(collection: string, embedder: Embedder): Promise<string[]> {
  const [vector] = await embedder.embed(['anything']);
  const hits = await vectors.search(collection, {
    mode: 'dense',
    vector: vector as number[],
    limit: 200,
    filter: { must: [{ key: 'tenantId', equals: 'acme' }] },
  });
  return [...new Set(hits.map((hit) => `${hit.payload.documentId}@${hit.payload.documentVersion}`))].sort();
}

async function currentVersions(): Promise<string[]> {
  const page = await records.documents.find({ limit: 100 });
  return page.items.map((document) => `${document.documentId}@${document.currentVersion}`).sort();
}

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'keel-reindex-'));
  store = createEmbeddedDocumentStore({ path: join(directory, 'ingestion.db') });
  vectors = await createEmbeddedVectorIndex({ directory: join(directory, 'vectors') });
  records = await openIngestionRecords(store);
  clock = 1_000_000;
});

afterEach(async () => {
  await vectors.close();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('collections are named by the embedder', () => {
  it('tells apart two models of the same width, and keeps names valid', () => {
    const first = chunkCollectionName({ id: 'openai-compatible:text-embedding-3-small:768', dimensions: 768 });
    const second = chunkCollectionName({ id: 'openai-compatible:nomic-embed-text:768', dimensions: 768 });
    expect(first).not.toBe(second);
    expect(first).toMatch(/^keel_chunks_openai_compatible_text_embedding_3_small_768_[a-z0-9]+_768$/);
    // Ids that slug alike still differ by their hash.
    expect(chunkCollectionName({ id: 'Model-A', dimensions: 8 })).not.toBe(
      chunkCollectionName({ id: 'model_a', dimensions: 8 }),
    );
    expect(chunkCollectionName({ id: 'model', dimensions: 8 })).toBe('keel_chunks_model_8');
    for (const name of [first, second]) expect(name).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
  });
});

describe('changing the embedding model', () => {
  it('re-indexes in the background while the old collection serves, loses no write, then switches once', async () => {
    const collectionA = chunkCollectionName(modelA);
    const collectionB = chunkCollectionName(modelB);
    const before = await startReplica(modelA, 'replica-a');
    for (const id of ['travel', 'expenses', 'security', 'leave']) {
      await before.ingestion.process(request(id, TEXTS[id] as string));
    }
    expect((await before.setup.generations.get())?.active.collection).toBe(collectionA);
    expect(await documentsIn(collectionA, modelA)).toEqual(['expenses', 'leave', 'security', 'travel']);

    // The model changes: a replica configured with B starts a build; A keeps serving.
    const first = await startReplica(modelB, 'replica-b1');
    const planned = await first.setup.generations.get();
    expect(planned?.active.collection).toBe(collectionA);
    expect(planned?.building).toMatchObject({ collection: collectionB, embedder: { id: modelB.id, dimensions: 48 } });

    // Writes during the build reach both generations, each embedded by its own model.
    await first.ingestion.process(request('onboarding', TEXTS.onboarding as string));
    await first.ingestion.process(request('travel', `${TEXTS.travel} Trains are preferred under four hours.`));
    expect(await first.ingestion.deleteDocument('acme', 'security', { subject: 'admin', aclGroups: ['*'] })).toBe(true);
    expect(await documentsIn(collectionA, modelA)).toEqual(['expenses', 'leave', 'onboarding', 'travel']);
    expect(await documentsIn(collectionB, modelB)).toEqual(['onboarding', 'travel']);
    // The superseded version of travel is gone from both.
    expect(await versionsIn(collectionA, modelA)).toEqual(await currentVersions());

    // One page of the build, then the replica "dies" (no more steps; its lease lapses).
    expect(await first.setup.reindexer.step()).toBe(true);
    const midway = await first.setup.generations.get();
    expect(midway?.building?.progress).toMatchObject({ pass: 1, documentsTotal: 4, documentsScanned: 2 });
    expect(midway?.building?.progress.cursor).toBeTruthy();
    expect(midway?.active.collection).toBe(collectionA);

    // A second replica cannot take the build while the first one's claim holds...
    const second = await startReplica(modelB, 'replica-b2');
    expect(await second.setup.reindexer.step()).toBe(false);
    expect((await second.setup.generations.get())?.building?.progress.documentsScanned).toBe(2);
    // ...and resumes from the saved cursor once it lapsed (a restart).
    clock += settings.leaseMs + 1;
    expect(await second.setup.reindexer.step()).toBe(true);
    const resumed = await second.setup.generations.get();
    expect(resumed?.building?.lease?.owner).toBe('replica-b2');
    // The second page ended pass 1 (a restart from scratch would still be on its first page).
    expect(resumed?.building?.progress).toMatchObject({ pass: 2, documentsScanned: 0, cursor: null });
    expect(resumed?.building?.progress.chunksReindexed).toBeGreaterThan(0);
    // Searches are still served from A.
    expect(resumed?.active.collection).toBe(collectionA);

    // Finish: pass 1 ends with changes, pass 2 finds none, then the one switch.
    let steps = 0;
    while (await second.setup.reindexer.step()) steps += 1;
    expect(steps).toBeLessThan(10);
    const switched = await second.setup.generations.get();
    expect(switched?.building).toBeNull();
    expect(switched?.active).toMatchObject({ collection: collectionB, embedder: { id: modelB.id } });
    expect(switched?.retired).toMatchObject({ collection: collectionA, dropAfter: clock + settings.graceMs });
    expect(await documentsIn(collectionB, modelB)).toEqual(['expenses', 'leave', 'onboarding', 'travel']);
    expect(await versionsIn(collectionB, modelB)).toEqual(await currentVersions());
    // Lineage names the new model and collection.
    const lineage = await records.chunks.find({ limit: 200 });
    expect(lineage.items.length).toBeGreaterThan(0);
    for (const chunk of lineage.items) expect(chunk).toMatchObject({ embedder: modelB.id, collection: collectionB });

    // The old collection stays whole for the grace period, then is emptied.
    expect(await first.setup.reindexer.step()).toBe(false);
    expect(await documentsIn(collectionA, modelA)).toHaveLength(4);
    clock += settings.graceMs;
    await first.setup.reindexer.step();
    expect(await documentsIn(collectionA, modelA)).toEqual([]);
    expect((await first.setup.generations.get())?.retired).toBeNull();
  });

  it('lets only one of two replicas switch, and only the holder of the build', async () => {
    const before = await startReplica(modelA, 'replica-a');
    await before.ingestion.process(request('travel', TEXTS.travel as string));
    const replica = await startReplica(modelB, 'replica-b1');
    const { generations } = replica.setup;
    const collectionB = chunkCollectionName(modelB);
    expect(await generations.claim('replica-b1', settings.leaseMs)).not.toBeNull();
    // Another replica neither claims a held build nor switches it.
    expect(await generations.claim('replica-b2', settings.leaseMs)).toBeNull();
    expect(await generations.switchOver('replica-b2', collectionB, 0)).toBeNull();
    // The holder racing itself (two loops of one replica): one update wins.
    const results = await Promise.all([
      generations.switchOver('replica-b1', collectionB, 0),
      generations.switchOver('replica-b1', collectionB, 0),
    ]);
    expect(results.filter((result) => result !== null)).toHaveLength(1);
    const record = await generations.get();
    expect(record?.active.collection).toBe(collectionB);
    expect(record?.retired?.collection).toBe(chunkCollectionName(modelA));
  });

  it('cancels the build when the configuration goes back to the active model', async () => {
    await startReplica(modelA, 'replica-a');
    await startReplica(modelB, 'replica-b');
    const back = await startReplica(modelA, 'replica-a2');
    const record = await back.setup.generations.get();
    expect(record?.active.collection).toBe(chunkCollectionName(modelA));
    expect(record?.building).toBeNull();
    expect(record?.retired?.collection).toBe(chunkCollectionName(modelB));
  });

  it('adopts the width-named collection an earlier release indexed', async () => {
    const legacy = legacyChunkCollectionName(modelA.dimensions);
    await records.chunks.upsert({
      id: 'acme/old:v1:0',
      tenantId: 'acme',
      documentId: 'old',
      documentVersion: 'v1',
      chunkId: 'old:v1:0',
      index: 0,
      startOffset: 0,
      endOffset: 10,
      headingPath: [],
      tokenCount: 3,
      jobId: 'job-old',
      source: 's3://acme/old.md',
      parser: 'markdown',
      embedder: modelA.id,
      embedderDimensions: modelA.dimensions,
      createdAt: 1,
    });
    const replica = await startReplica(modelA, 'replica-a');
    expect(replica.setup.targets.collection).toBe(legacy);
    expect((await replica.setup.generations.get())?.active.collection).toBe(legacy);
    const status = await replica.setup.status();
    expect(status).toMatchObject({ configured: { id: modelA.id }, active: { collection: legacy }, building: null });
  });
});
