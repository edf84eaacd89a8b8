import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { EventPublisher } from '@keel/event-bus';
import { createLogger, unavailable } from '@keel/platform';
import { chunkCollectionName, type VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocumentScanner } from '../policy/document-scanner.js';
import { allowAll, HashingEmbedder, RecordingEventBus, ScriptedScanner } from '../testing/fakes.js';
import type { IngestRequest } from './ingest-request.js';
import { createIngestion, type Ingestion } from './ingestion.js';
import { type IngestionRecords, openIngestionRecords } from './records.js';

const HANDBOOK = `# Travel policy

Employees book flights through the travel desk at least two weeks ahead.

## Expenses

Hotel costs are reimbursed up to 180 euros per night in capital cities.
Receipts must be uploaded within thirty days.
`;

interface Harness {
  ingestion: Ingestion;
  records: IngestionRecords;
  vectors: VectorIndex;
  store: DocumentStore;
  bus: RecordingEventBus;
  embedder: HashingEmbedder;
  collection: string;
  scanner: DocumentScanner;
}

let directory: string;
let harness: Harness;
let jobSequence = 0;

async function buildHarness(scanner: DocumentScanner = new ScriptedScanner(allowAll)): Promise<Harness> {
  const store = createEmbeddedDocumentStore({ path: ':memory:' });
  const vectors = await createEmbeddedVectorIndex({ directory: join(directory, `vectors-${jobSequence++}`) });
  const embedder = new HashingEmbedder(32);
  const collection = chunkCollectionName(embedder.dimensions);
  await vectors.ensureCollection({ name: collection, dimensions: embedder.dimensions });
  const records = await openIngestionRecords(store);
  const bus = new RecordingEventBus();
  const ingestion = createIngestion({
    records,
    vectors,
    collection,
    embedder,
    scanner,
    publisher: new EventPublisher(bus),
    logger: createLogger('ingestion-test', { level: 'silent' }),
    embedBatchSize: 2,
    chunking: { maxTokens: 24, overlapTokens: 4 },
  });
  return { ingestion, records, vectors, store, bus, embedder, collection, scanner };
}

function request(overrides: Partial<IngestRequest> = {}): IngestRequest {
  return {
    tenantId: 'acme',
    jobId: `job-${++jobSequence}`,
    documentId: 'handbook',
    title: 'Handbook',
    source: 's3://acme/handbook.md',
    contentType: 'text/markdown',
    text: HANDBOOK,
    metadata: { department: 'hr' },
    aclGroups: ['*'],
    ...overrides,
  };
}

async function chunksOf(h: Harness, tenantId: string, documentId: string) {
  const vector = (await h.embedder.embed(['hotel receipts flights travel']))[0] as number[];
  return h.vectors.search(h.collection, {
    mode: 'dense',
    vector,
    limit: 100,
    filter: {
      must: [
        { key: 'tenantId', equals: tenantId },
        { key: 'documentId', equals: documentId },
      ],
    },
  });
}

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'keel-ingestion-'));
  harness = await buildHarness();
});

afterEach(async () => {
  await harness.vectors.close();
  await harness.store.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('the indexing pipeline', () => {
  it('indexes a document: chunks with payload and lineage, a current version, an indexed job and event', async () => {
    const submitted = request();
    const outcome = await harness.ingestion.process(submitted);

    expect(outcome).toMatchObject({ status: 'indexed', unchanged: false });
    if (outcome.status !== 'indexed') throw new Error('not indexed');
    expect(outcome.chunkCount).toBeGreaterThan(1);

    const hits = await chunksOf(harness, 'acme', 'handbook');
    expect(hits).toHaveLength(outcome.chunkCount);
    const first = hits.find((hit) => hit.payload.chunkIndex === 0);
    expect(first?.id).toBe(`handbook:${outcome.documentVersion}:0`);
    expect(first?.payload).toMatchObject({
      tenantId: 'acme',
      documentId: 'handbook',
      documentVersion: outcome.documentVersion,
      chunkId: `handbook:${outcome.documentVersion}:0`,
      title: 'Handbook',
      source: 's3://acme/handbook.md',
      aclGroups: ['*'],
      jobId: submitted.jobId,
      parser: 'markdown-remark-v1',
      embedder: harness.embedder.id,
      'meta.department': 'hr',
    });
    const expenses = hits.find((hit) => hit.text.includes('180 euros'));
    expect(expenses?.payload.headingPath).toEqual(['Travel policy', 'Expenses']);

    const job = await harness.ingestion.job('acme', submitted.jobId);
    expect(job).toMatchObject({
      status: 'indexed',
      chunkCount: outcome.chunkCount,
      documentVersion: outcome.documentVersion,
      unchanged: false,
    });
    expect(job?.code).toBeUndefined();

    const document = await harness.ingestion.document('acme', 'handbook');
    expect(document).toMatchObject({ currentVersion: outcome.documentVersion, chunkCount: outcome.chunkCount });
    expect(document?.versions[0]).toMatchObject({
      state: 'current',
      jobId: submitted.jobId,
      policyVersion: 'test-policy-1',
    });

    const lineage = await harness.records.chunks.find({ where: { tenantId: 'acme', documentId: 'handbook' } });
    expect(lineage.items).toHaveLength(outcome.chunkCount);
    for (const record of lineage.items) {
      const hit = hits.find((candidate) => candidate.id === record.chunkId);
      expect(hit?.text).toBe(HANDBOOK.slice(record.startOffset, record.endOffset));
      expect(record).toMatchObject({ jobId: submitted.jobId, parser: 'markdown-remark-v1', source: submitted.source });
    }

    const [event] = harness.bus.events('keel.document.indexed.v1');
    expect(event?.payload).toMatchObject({
      tenantId: 'acme',
      documentId: 'handbook',
      documentVersion: outcome.documentVersion,
      jobId: submitted.jobId,
      chunkCount: outcome.chunkCount,
      unchanged: false,
    });
    expect(event?.meta.idempotencyKey).toBe(`acme/${submitted.jobId}:indexed`);
  });

  it('treats a resubmission of the same content as unchanged and embeds nothing', async () => {
    const first = await harness.ingestion.process(request());
    const embeddedAfterFirst = harness.embedder.embeddedTexts;

    const again = request();
    const second = await harness.ingestion.process(again);

    expect(second).toMatchObject({ status: 'indexed', unchanged: true });
    if (first.status !== 'indexed' || second.status !== 'indexed') throw new Error('not indexed');
    expect(second.documentVersion).toBe(first.documentVersion);
    expect(second.chunkCount).toBe(first.chunkCount);
    expect(harness.embedder.embeddedTexts).toBe(embeddedAfterFirst);
    expect(await harness.ingestion.job('acme', again.jobId)).toMatchObject({ status: 'indexed', unchanged: true });
    expect(harness.bus.events('keel.document.indexed.v1').map((event) => event.payload.unchanged)).toEqual([
      false,
      true,
    ]);
  });

  it('replaces the previous version: its chunks and lineage are gone, its history remains', async () => {
    const first = await harness.ingestion.process(request());
    const second = await harness.ingestion.process(
      request({ text: '# Travel policy\n\nAll travel is suspended until further notice.\n' }),
    );
    if (first.status !== 'indexed' || second.status !== 'indexed') throw new Error('not indexed');
    expect(second.documentVersion).not.toBe(first.documentVersion);

    const hits = await chunksOf(harness, 'acme', 'handbook');
    expect(hits.map((hit) => hit.payload.documentVersion)).toEqual(
      new Array(second.chunkCount).fill(second.documentVersion),
    );
    expect(hits.some((hit) => hit.text.includes('180 euros'))).toBe(false);

    const lineage = await harness.records.chunks.find({ where: { tenantId: 'acme', documentId: 'handbook' } });
    expect(new Set(lineage.items.map((record) => record.documentVersion))).toEqual(new Set([second.documentVersion]));

    const document = await harness.ingestion.document('acme', 'handbook');
    expect(document?.versions.map((entry) => [entry.version, entry.state])).toEqual([
      [second.documentVersion, 'current'],
      [first.documentVersion, 'superseded'],
    ]);
  });

  it('makes a new version when only the ACL groups change, so the index never serves stale permissions', async () => {
    const open = await harness.ingestion.process(request());
    const restricted = await harness.ingestion.process(request({ aclGroups: ['finance'] }));
    if (open.status !== 'indexed' || restricted.status !== 'indexed') throw new Error('not indexed');
    expect(restricted.unchanged).toBe(false);
    const hits = await chunksOf(harness, 'acme', 'handbook');
    expect(hits.every((hit) => JSON.stringify(hit.payload.aclGroups) === '["finance"]')).toBe(true);
  });

  it('ignores a redelivery of a finished job', async () => {
    const submitted = request();
    await harness.ingestion.process(submitted);
    const embedded = harness.embedder.embeddedTexts;

    expect(await harness.ingestion.process(submitted)).toEqual({ status: 'already-finished' });
    expect(harness.embedder.embeddedTexts).toBe(embedded);
    expect(harness.bus.events('keel.document.indexed.v1')).toHaveLength(1);
  });

  it('finishes a job whose outcome event failed to publish when the event is redelivered', async () => {
    const submitted = request();
    harness.bus.failures.push({
      topic: 'keel.document.indexed.v1',
      error: unavailable('event-bus', 'broker unreachable'),
    });

    await expect(harness.ingestion.process(submitted)).rejects.toThrow(/broker unreachable/);
    expect(await harness.ingestion.job('acme', submitted.jobId)).toMatchObject({
      status: 'running',
      reason: expect.stringContaining('broker unreachable'),
    });

    const retried = await harness.ingestion.process(submitted);
    if (retried.status !== 'indexed') throw new Error('not indexed');
    // It was this job that indexed the version: not "unchanged".
    expect(retried.unchanged).toBe(false);
    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(retried.chunkCount);
    const job = await harness.ingestion.job('acme', submitted.jobId);
    expect(job).toMatchObject({ status: 'indexed', unchanged: false });
    expect(job?.reason).toBeUndefined();
    expect(harness.bus.events('keel.document.indexed.v1')).toHaveLength(1);
  });

  it('removes the chunks of a version that failed half-way once the next version is indexed', async () => {
    await harness.ingestion.process(request());
    harness.embedder.failOnCall = { call: harness.embedder.calls + 2, error: new Error('embedder crashed') };
    const broken = request({ text: `${HANDBOOK}\nA third paragraph about per diem allowances for long trips.\n` });
    await expect(harness.ingestion.process(broken)).rejects.toThrow('embedder crashed');
    // The first batch of the broken version reached the index next to the current version.
    const during = await chunksOf(harness, 'acme', 'handbook');
    expect(new Set(during.map((hit) => hit.payload.documentVersion)).size).toBe(2);

    const final = await harness.ingestion.process(request({ text: '# Travel\n\nNew rules apply from May.\n' }));
    if (final.status !== 'indexed') throw new Error('not indexed');
    const after = await chunksOf(harness, 'acme', 'handbook');
    expect(new Set(after.map((hit) => hit.payload.documentVersion))).toEqual(new Set([final.documentVersion]));
  });
});

describe('rejections', () => {
  it('rejects an unsupported content type without indexing anything', async () => {
    const submitted = request({ contentType: 'application/pdf' });
    const outcome = await harness.ingestion.process(submitted);

    expect(outcome).toMatchObject({ status: 'rejected', code: 'PARSE.UNSUPPORTED_CONTENT_TYPE' });
    expect(await harness.ingestion.job('acme', submitted.jobId)).toMatchObject({
      status: 'rejected',
      code: 'PARSE.UNSUPPORTED_CONTENT_TYPE',
    });
    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);
    expect(await harness.ingestion.document('acme', 'handbook')).toBeNull();
    const [event] = harness.bus.events('keel.document.rejected.v1');
    expect(event?.payload).toMatchObject({ jobId: submitted.jobId, code: 'PARSE.UNSUPPORTED_CONTENT_TYPE' });
  });

  it('rejects empty text', async () => {
    const outcome = await harness.ingestion.process(request({ text: '  \n\t ' }));
    expect(outcome).toMatchObject({ status: 'rejected', code: 'PARSE.EMPTY_DOCUMENT' });
  });

  it('rejects an upstream request whose fields break the limits, naming the field', async () => {
    const outcome = await harness.ingestion.process(request({ metadata: { 'bad.key': 'x' } }));
    expect(outcome).toMatchObject({ status: 'rejected', code: 'DOCUMENT.INVALID' });
    if (outcome.status === 'rejected') expect(outcome.reason).toContain('metadata.bad.key');
  });

  it('rejects what the policy blocks, and records nothing of it', async () => {
    await harness.vectors.close();
    await harness.store.close();
    harness = await buildHarness(
      new ScriptedScanner(() => ({ decision: 'block', reason: 'contains credentials', policyVersion: 'p7' })),
    );
    const submitted = request();
    const outcome = await harness.ingestion.process(submitted);

    expect(outcome).toEqual({ status: 'rejected', code: 'POLICY.BLOCKED', reason: 'contains credentials' });
    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);
    expect(await harness.ingestion.document('acme', 'handbook')).toBeNull();
    expect(harness.bus.events('keel.document.rejected.v1')[0]?.payload.code).toBe('POLICY.BLOCKED');
  });

  it('indexes the redacted text when the policy redacts', async () => {
    await harness.vectors.close();
    await harness.store.close();
    harness = await buildHarness(
      new ScriptedScanner((input) => ({
        decision: 'redact',
        text: input.text.replaceAll('jane@acme.test', '[EMAIL]'),
        findings: 1,
        policyVersion: 'p8',
      })),
    );
    const outcome = await harness.ingestion.process(
      request({ contentType: 'text/plain', text: 'Questions about hotel receipts go to jane@acme.test today.' }),
    );
    expect(outcome).toMatchObject({ status: 'indexed' });
    const texts = (await chunksOf(harness, 'acme', 'handbook')).map((hit) => hit.text).join(' ');
    expect(texts).toContain('[EMAIL]');
    expect(texts).not.toContain('jane@acme.test');
    const document = await harness.ingestion.document('acme', 'handbook');
    expect(document?.versions[0]).toMatchObject({ redacted: true, policyVersion: 'p8' });
  });

  it('fails retryably while the policy service is down, then indexes once it is back', async () => {
    let up = false;
    await harness.vectors.close();
    await harness.store.close();
    harness = await buildHarness(
      new ScriptedScanner(() => {
        if (!up) throw unavailable('policy', 'connection refused');
        return allowAll();
      }),
    );
    const submitted = request();

    const failure = await harness.ingestion.process(submitted).catch((error: unknown) => error);
    expect(failure).toMatchObject({ retryable: true });
    expect(await harness.ingestion.job('acme', submitted.jobId)).toMatchObject({
      status: 'running',
      reason: expect.stringContaining('connection refused'),
    });
    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);

    up = true;
    expect(await harness.ingestion.process(submitted)).toMatchObject({ status: 'indexed' });
  });
});

describe('tenancy and deletion', () => {
  it('keeps two tenants with the same document id and text apart', async () => {
    const acme = await harness.ingestion.process(request({ tenantId: 'acme' }));
    const globex = await harness.ingestion.process(request({ tenantId: 'globex' }));
    if (acme.status !== 'indexed' || globex.status !== 'indexed') throw new Error('not indexed');
    expect(globex.documentVersion).not.toBe(acme.documentVersion);
    expect(globex.unchanged).toBe(false);

    await harness.ingestion.deleteDocument('acme', 'handbook');

    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);
    expect(await chunksOf(harness, 'globex', 'handbook')).toHaveLength(globex.chunkCount);
    expect(await harness.ingestion.document('acme', 'handbook')).toBeNull();
    expect(await harness.ingestion.document('globex', 'handbook')).not.toBeNull();
  });

  it('deletes a document from the index and the records, idempotently', async () => {
    await harness.ingestion.process(request());
    await harness.ingestion.deleteDocument('acme', 'handbook');
    await harness.ingestion.deleteDocument('acme', 'handbook');

    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);
    expect(await harness.records.chunks.count({ tenantId: 'acme' })).toBe(0);
    expect(await harness.ingestion.document('acme', 'handbook')).toBeNull();
  });

  it('does not show one tenant the jobs of another', async () => {
    const submitted = request({ tenantId: 'acme' });
    await harness.ingestion.process(submitted);
    expect(await harness.ingestion.job('acme', submitted.jobId)).not.toBeNull();
    expect(await harness.ingestion.job('globex', submitted.jobId)).toBeNull();
  });
});
