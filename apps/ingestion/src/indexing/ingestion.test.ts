import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { EventPublisher } from '@keel/event-bus';
import { createLogger, unavailable } from '@keel/platform';
import { waitFor } from '@keel/testing';
import { chunkCollectionName, type VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestFromEvent } from '../inbound/ingest-consumer.js';
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
/** A caller of the tenant without groups: it reads what is open to the whole tenant. */
const reader = { subject: 'reader', aclGroups: [] as string[] };

async function buildHarness(
  scanner: DocumentScanner = new ScriptedScanner(allowAll),
  options: { maxTextBytes?: number } = {},
): Promise<Harness> {
  const store = createEmbeddedDocumentStore({ path: ':memory:' });
  const vectors = await createEmbeddedVectorIndex({ directory: join(directory, `vectors-${jobSequence++}`) });
  const embedder = new HashingEmbedder(32);
  const collection = chunkCollectionName(embedder);
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
    ...options,
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

    const job = await harness.ingestion.job('acme', submitted.jobId, reader);
    expect(job).toMatchObject({
      status: 'indexed',
      chunkCount: outcome.chunkCount,
      documentVersion: outcome.documentVersion,
      unchanged: false,
    });
    expect(job?.code).toBeUndefined();

    const document = await harness.ingestion.document('acme', 'handbook', reader);
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
    expect(await harness.ingestion.job('acme', again.jobId, reader)).toMatchObject({
      status: 'indexed',
      unchanged: true,
    });
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

    const document = await harness.ingestion.document('acme', 'handbook', reader);
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
    expect(await harness.ingestion.job('acme', submitted.jobId, reader)).toMatchObject({
      status: 'running',
      reason: expect.stringContaining('broker unreachable'),
    });

    const retried = await harness.ingestion.process(submitted);
    if (retried.status !== 'indexed') throw new Error('not indexed');
    // It was this job that indexed the version: not "unchanged".
    expect(retried.unchanged).toBe(false);
    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(retried.chunkCount);
    const job = await harness.ingestion.job('acme', submitted.jobId, reader);
    expect(job).toMatchObject({ status: 'indexed', unchanged: false });
    expect(job?.reason).toBeUndefined();
    expect(harness.bus.events('keel.document.indexed.v1')).toHaveLength(1);
  });

  it('removes the chunks of a version that failed half-way once the next version is indexed', async () => {
    await harness.ingestion.process(request());
    // The chunks of the broken version reach the index, then the process dies before it commits.
    const upsert = harness.vectors.upsert.bind(harness.vectors);
    harness.vectors.upsert = async (collection, chunks) => {
      await upsert(collection, chunks);
      harness.vectors.upsert = upsert;
      throw new Error('crashed after the upsert');
    };
    const broken = request({ text: `${HANDBOOK}\nA third paragraph about per diem allowances for long trips.\n` });
    await expect(harness.ingestion.process(broken)).rejects.toThrow('crashed after the upsert');
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
    expect(await harness.ingestion.job('acme', submitted.jobId, reader)).toMatchObject({
      status: 'rejected',
      code: 'PARSE.UNSUPPORTED_CONTENT_TYPE',
    });
    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);
    expect(await harness.ingestion.document('acme', 'handbook', reader)).toBeNull();
    const [event] = harness.bus.events('keel.document.rejected.v1');
    expect(event?.payload).toMatchObject({ jobId: submitted.jobId, code: 'PARSE.UNSUPPORTED_CONTENT_TYPE' });
  });

  it('rejects empty text', async () => {
    const outcome = await harness.ingestion.process(request({ text: '  \n\t ' }));
    expect(outcome).toMatchObject({ status: 'rejected', code: 'PARSE.EMPTY_DOCUMENT' });
  });

  it('rejects text made only of invisible characters as empty', async () => {
    // Zero-width space, joiner, word joiner, BOM, bidi isolates, a Hangul filler: nothing to see.
    const outcome = await harness.ingestion.process(request({ text: '\u200B\u200D\u2060\uFEFF\u2066\u2069\u3164\n' }));
    expect(outcome).toMatchObject({ status: 'rejected', code: 'PARSE.EMPTY_DOCUMENT' });
    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);
  });

  it('rejects an upstream text over the size limit the HTTP body has, without indexing it', async () => {
    await harness.vectors.close();
    await harness.store.close();
    harness = await buildHarness(new ScriptedScanner(allowAll), { maxTextBytes: 1024 });
    const outcome = await harness.ingestion.process(request({ contentType: 'text/plain', text: 'é'.repeat(600) }));
    expect(outcome).toMatchObject({ status: 'rejected', code: 'DOCUMENT.INVALID' });
    if (outcome.status === 'rejected') expect(outcome.reason).toMatch(/^text: must be at most 1024 bytes/);
    expect(harness.embedder.calls).toBe(0);
    expect(
      await harness.ingestion.process(request({ contentType: 'text/plain', text: 'é'.repeat(500) })),
    ).toMatchObject({ status: 'indexed' });
  });

  it('names at most ten violations in a rejection', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`bad.${index}`, 'x']));
    const outcome = await harness.ingestion.process(request({ metadata }));
    expect(outcome).toMatchObject({ status: 'rejected', code: 'DOCUMENT.INVALID' });
    if (outcome.status === 'rejected') expect(outcome.reason).toMatch(/; and 24 more$/);
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
    expect(await harness.ingestion.document('acme', 'handbook', reader)).toBeNull();
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
    const document = await harness.ingestion.document('acme', 'handbook', reader);
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
    expect(await harness.ingestion.job('acme', submitted.jobId, reader)).toMatchObject({
      status: 'running',
      reason: expect.stringContaining('connection refused'),
    });
    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);

    up = true;
    expect(await harness.ingestion.process(submitted)).toMatchObject({ status: 'indexed' });
  });
});

describe('ACL groups', () => {
  it('keeps the document’s groups when a request leaves them out, and opens a new document to the tenant', async () => {
    await harness.ingestion.process(request({ aclGroups: ['legal'] }));
    const update = await harness.ingestion.process(
      request({ aclGroups: undefined, text: '# Travel policy\n\nAll travel is suspended.\n' }),
    );
    expect(update).toMatchObject({ status: 'indexed', unchanged: false });
    const hits = await chunksOf(harness, 'acme', 'handbook');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((hit) => JSON.stringify(hit.payload.aclGroups) === '["legal"]')).toBe(true);
    expect(await harness.ingestion.document('acme', 'handbook', { subject: 'l', aclGroups: ['legal'] })).toMatchObject({
      aclGroups: ['legal'],
    });

    await harness.ingestion.process(request({ documentId: 'fresh', aclGroups: undefined }));
    expect(await harness.ingestion.document('acme', 'fresh', reader)).toMatchObject({ aclGroups: ['*'] });
  });

  it('hides a restricted document and its jobs from a caller outside its groups, and refuses to delete it', async () => {
    const submitted = request({ aclGroups: ['legal'] });
    await harness.ingestion.process(submitted);
    const lawyer = { subject: 'lawyer', aclGroups: ['legal'] };
    expect(await harness.ingestion.document('acme', 'handbook', reader)).toBeNull();
    expect(await harness.ingestion.job('acme', submitted.jobId, reader)).toBeNull();
    expect(await harness.ingestion.deleteDocument('acme', 'handbook', reader)).toBe(false);
    expect(await chunksOf(harness, 'acme', 'handbook')).not.toHaveLength(0);

    expect(await harness.ingestion.document('acme', 'handbook', lawyer)).not.toBeNull();
    expect(await harness.ingestion.job('acme', submitted.jobId, lawyer)).not.toBeNull();
    expect(await harness.ingestion.deleteDocument('acme', 'handbook', lawyer)).toBe(true);
    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);
  });

  it('rejects an HTTP request whose submitter lost access to the document before it ran', async () => {
    const lawyer = { subject: 'lawyer', aclGroups: ['legal'] };
    await harness.ingestion.process(request({ aclGroups: ['legal'] }));
    // Accepted while the lawyer may write the document, keeping its groups...
    const { jobId } = await harness.ingestion.submit(
      request({ jobId: 'http-job', aclGroups: undefined, text: 'Rewritten by a lawyer.', contentType: 'text/plain' }),
      lawyer,
    );
    // ...then, before it runs, the document is restricted to partners only.
    await harness.ingestion.process(request({ aclGroups: ['partners'] }));
    const [published] = harness.bus.events('keel.ingest.requested.v1');
    if (!published) throw new Error('nothing published');
    const outcome = await harness.ingestion.process(requestFromEvent(published.payload, published.meta));

    expect(outcome).toMatchObject({ status: 'rejected', code: 'DOCUMENT.ACCESS_DENIED' });
    // The submitter still sees its own job and why it was refused.
    expect(await harness.ingestion.job('acme', jobId, lawyer)).toMatchObject({ status: 'rejected' });
    const texts = (await chunksOf(harness, 'acme', 'handbook')).map((hit) => hit.text).join(' ');
    expect(texts).not.toContain('Rewritten');
  });
});

describe('jobs that run again', () => {
  it('indexes content-addressed content again when the document moved on (a revert is not a redelivery)', async () => {
    const first = request({ jobId: 'evt-a', contentAddressed: true });
    const a = await harness.ingestion.process(first);
    expect(await harness.ingestion.process(first)).toEqual({ status: 'already-finished' });

    await harness.ingestion.process(request({ jobId: 'evt-b', contentAddressed: true, text: '# B\n\nOther text.\n' }));
    const reverted = await harness.ingestion.process(first);
    if (a.status !== 'indexed' || reverted.status !== 'indexed') throw new Error('not indexed');
    expect(reverted.documentVersion).toBe(a.documentVersion);
    expect((await harness.ingestion.document('acme', 'handbook', reader))?.currentVersion).toBe(a.documentVersion);
    // Now the document holds it again: a further delivery is a redelivery.
    expect(await harness.ingestion.process(first)).toEqual({ status: 'already-finished' });

    await harness.ingestion.deleteDocument('acme', 'handbook', reader);
    expect(await harness.ingestion.process(first)).toMatchObject({ status: 'indexed' });
    expect(await harness.ingestion.document('acme', 'handbook', reader)).not.toBeNull();
  });

  it('does not reopen a job with an id of its own (HTTP, or chosen by the producer)', async () => {
    const first = request({ jobId: 'chosen' });
    await harness.ingestion.process(first);
    await harness.ingestion.process(request({ text: '# B\n\nOther text.\n' }));
    expect(await harness.ingestion.process(first)).toEqual({ status: 'already-finished' });
  });

  it('runs a failed job when its request is delivered after all (a replay from the DLQ)', async () => {
    const submitted = request({ jobId: 'replayed' });
    await harness.ingestion.submit(submitted, { subject: 'a', aclGroups: [] });
    await harness.ingestion.failDeadLettered('acme', 'replayed', 'handbook', 'the request went to the DLQ');
    expect(await harness.ingestion.job('acme', 'replayed', reader)).toMatchObject({
      status: 'failed',
      code: 'INGEST.DEAD_LETTERED',
      reason: 'the request went to the DLQ',
    });
    expect(await harness.ingestion.process(submitted)).toMatchObject({ status: 'indexed' });
  });

  it('does not fail the job of another document named by a dead letter', async () => {
    await harness.ingestion.submit(request({ jobId: 'shared' }), { subject: 'a', aclGroups: [] });
    await harness.ingestion.failDeadLettered('acme', 'shared', 'some-other-document', 'reused job id');
    expect(await harness.ingestion.job('acme', 'shared', reader)).toMatchObject({ status: 'queued' });
  });
});

describe('tenancy and deletion', () => {
  it('keeps two tenants with the same document id and text apart', async () => {
    const acme = await harness.ingestion.process(request({ tenantId: 'acme' }));
    const globex = await harness.ingestion.process(request({ tenantId: 'globex' }));
    if (acme.status !== 'indexed' || globex.status !== 'indexed') throw new Error('not indexed');
    expect(globex.documentVersion).not.toBe(acme.documentVersion);
    expect(globex.unchanged).toBe(false);

    await harness.ingestion.deleteDocument('acme', 'handbook', reader);

    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);
    expect(await chunksOf(harness, 'globex', 'handbook')).toHaveLength(globex.chunkCount);
    expect(await harness.ingestion.document('acme', 'handbook', reader)).toBeNull();
    expect(await harness.ingestion.document('globex', 'handbook', reader)).not.toBeNull();
  });

  it('deletes a document from the index and the records; a second delete finds nothing', async () => {
    await harness.ingestion.process(request());
    expect(await harness.ingestion.deleteDocument('acme', 'handbook', reader)).toBe(true);
    expect(await harness.ingestion.deleteDocument('acme', 'handbook', reader)).toBe(false);

    expect(await chunksOf(harness, 'acme', 'handbook')).toHaveLength(0);
    expect(await harness.records.chunks.count({ tenantId: 'acme' })).toBe(0);
    expect(await harness.ingestion.document('acme', 'handbook', reader)).toBeNull();
  });

  it('does not show one tenant the jobs of another', async () => {
    const submitted = request({ tenantId: 'acme' });
    await harness.ingestion.process(submitted);
    expect(await harness.ingestion.job('acme', submitted.jobId, reader)).not.toBeNull();
    expect(await harness.ingestion.job('globex', submitted.jobId, reader)).toBeNull();
  });
});

describe('batches', () => {
  it('processes a batch together: one result per request, a failed document holds back its later requests only', async () => {
    const scanner = new ScriptedScanner((input) => {
      if (input.text.includes('flaky')) throw Object.assign(new Error('policy unreachable'), { retryable: true });
      return allowAll();
    });
    await harness.vectors.close();
    await harness.store.close();
    harness = await buildHarness(scanner);
    const requests = [
      request({ documentId: 'a', text: '# A\n\nflaky first version.\n' }),
      request({ documentId: 'b', text: '# B\n\nBus schedules change in May.\n' }),
      request({ documentId: 'a', text: '# A\n\nSecond version of a.\n' }),
      request({ documentId: 'c', text: '# C\n\nCanteen opens at noon.\n' }),
      request({ documentId: 'b', text: '# B\n\nBus schedules change in June.\n' }),
    ];
    const results = await harness.ingestion.processBatch(requests);
    expect(results.map((result) => result.ok)).toEqual([false, true, false, true, true]);
    expect((results[2] as { ok: false; error: Error }).error.message).toContain('earlier request of document a');
    // b's two requests ran in order: the later one is current.
    const b = await harness.ingestion.document('acme', 'b', reader);
    expect(b?.versions).toHaveLength(2);
    expect(await harness.ingestion.document('acme', 'a', reader)).toBeNull();
    expect(await harness.ingestion.job('acme', requests[0]?.jobId as string, reader)).toMatchObject({
      status: 'running',
      reason: 'policy unreachable',
    });
    expect(await harness.ingestion.job('acme', requests[2]?.jobId as string, reader)).toBeNull();
    const indexedEvents = harness.bus.events('keel.document.indexed.v1');
    expect(indexedEvents.map((event) => event.payload.documentId).sort()).toEqual(['b', 'b', 'c']);
  });
});

describe('delete by source prefix', () => {
  it('starts an unfinished delete job again at start, and finishes it with its counts', async () => {
    await harness.ingestion.process(request({ documentId: 'x1', source: 'share://old/1' }));
    await harness.ingestion.process(request({ documentId: 'x2', source: 'share://old/2' }));
    await harness.ingestion.process(request({ documentId: 'keep', source: 'share://new/1' }));
    // A delete job the previous process recorded but did not finish (it died).
    const now = Date.now();
    await harness.records.jobs.insert({
      id: 'acme/delete-1',
      tenantId: 'acme',
      jobId: 'delete-1',
      documentId: '',
      kind: 'delete',
      sourcePrefix: 'share://old/',
      counts: { matched: 0, deleted: 0 },
      status: 'running',
      stage: 'deleting',
      origin: 'http',
      aclGroups: [],
      submittedBy: { subject: 'reader', aclGroups: [] },
      request: null,
      createdAt: now,
      updatedAt: now,
    });
    const report = await harness.ingestion.resumeUnfinishedJobs();
    expect(report.deletesResumed).toBe(1);
    const job = await waitFor('the delete job', async () => {
      const view = await harness.ingestion.job('acme', 'delete-1', reader);
      return view?.status === 'deleted' ? view : undefined;
    });
    expect(job).toMatchObject({ kind: 'delete', counts: { matched: 2, deleted: 2 }, stage: 'done' });
    expect(await harness.ingestion.document('acme', 'x1', reader)).toBeNull();
    expect(await chunksOf(harness, 'acme', 'x2')).toHaveLength(0);
    expect(await harness.ingestion.document('acme', 'keep', reader)).not.toBeNull();
  });
});
