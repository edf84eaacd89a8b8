import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentType, EnvelopeHeader, type EventMeta } from '@keel/contracts';
import { IngestRequested } from '@keel/contracts/events/v1/documents';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { type EventBus, EventPublisher, type IncomingMessage, type Subscription } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createLogger, unavailable } from '@keel/platform';
import { waitFor } from '@keel/testing';
import { chunkCollectionName, type VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { documentIdForEvent, eventContentDigest, jobIdForEvent } from '../indexing/identifiers.js';
import { createIngestion, type Ingestion } from '../indexing/ingestion.js';
import { type IngestionRecords, openIngestionRecords } from '../indexing/records.js';
import { allowAll, HashingEmbedder, ScriptedScanner } from '../testing/fakes.js';
import { requestFromEvent, startDeadLetterWatcher, startIngestConsumer } from './ingest-consumer.js';

const TOPIC = 'keel.ingest.requested.v1';

let directory: string;
let bus: EventBus;
let store: DocumentStore;
let vectors: VectorIndex;
let ingestion: Ingestion;
let records: IngestionRecords;
let subscriptions: Subscription[];

const reader = { subject: 'reader', aclGroups: [] as string[] };

/** What an upstream producer without Keel's library sends: JSON, `content-type` and nothing else. */
async function publishPlainJson(payload: object, key = 'upstream'): Promise<void> {
  await bus.publish(TOPIC, [
    {
      key,
      value: new TextEncoder().encode(JSON.stringify(payload)),
      headers: { [EnvelopeHeader.contentType]: ContentType.json },
    },
  ]);
}

async function finishedJob(tenantId: string, jobId: string) {
  return waitFor(`job ${jobId} to finish`, async () => {
    const job = await ingestion.job(tenantId, jobId, reader);
    return job && job.status !== 'queued' && job.status !== 'running' ? job : undefined;
  });
}

/** The job an upstream event without job id and Keel headers gets. */
function upstreamJobId(payload: Parameters<typeof requestFromEvent>[0]): string {
  return requestFromEvent(payload, { ...meta, idempotencyKey: '' }).jobId;
}

async function deadLetters(): Promise<{ messages: IncomingMessage[] }> {
  const collected: IncomingMessage[] = [];
  subscriptions.push(
    await bus.subscribe({
      groupId: 'test-dlq-reader',
      topics: [`${TOPIC}.dlq`],
      handler: async (message) => {
        collected.push(message);
      },
    }),
  );
  return { messages: collected };
}

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'keel-ingest-consumer-'));
  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  vectors = await createEmbeddedVectorIndex({ directory });
  const embedder = new HashingEmbedder(16);
  const collection = chunkCollectionName(embedder);
  await vectors.ensureCollection({ name: collection, dimensions: embedder.dimensions });
  await bus.ensureTopics([{ name: TOPIC, partitions: 1 }, { name: 'keel.document.indexed.v1' }]);
  records = await openIngestionRecords(store);
  ingestion = createIngestion({
    records,
    vectors,
    collection,
    embedder,
    scanner: new ScriptedScanner((input) => {
      if (input.text.includes('POLICY OUTAGE')) throw unavailable('policy', 'connection refused');
      return allowAll();
    }),
    publisher: new EventPublisher(bus),
    logger: createLogger('ingest-consumer-test', { level: 'silent' }),
    embedBatchSize: 8,
  });
  const logger = createLogger('ingest-consumer-test', { level: 'silent' });
  subscriptions = [
    await startIngestConsumer(bus, ingestion, { retry: { maxAttempts: 2, initialBackoffMs: 5 } }),
    await startDeadLetterWatcher(bus, ingestion, logger),
  ];
});

afterEach(async () => {
  for (const subscription of subscriptions) await subscription.stop();
  await bus.close();
  await store.close();
  await vectors.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('the keel.ingest.requested.v1 consumer', () => {
  it('dead-letters garbage and goes on with the next good event', async () => {
    const dlq = await deadLetters();
    // Field 1 with wire type 7 (which does not exist): no protobuf decoder accepts it.
    await bus.publish(TOPIC, [{ key: 'acme:garbage', value: Uint8Array.from([0x0f, 0xff, 0x00, 0x13]) }]);
    await new EventPublisher(bus).publish(TOPIC, {
      ...IngestRequested.fromPartial({}),
      tenantId: 'acme',
      documentId: 'after-garbage',
      jobId: 'job-after-garbage',
      contentType: 'text/plain',
      text: 'The consumer keeps going after a poison message.',
    });

    await waitFor('the garbage in the DLQ', () => dlq.messages.length === 1);
    const job = await waitFor('the good job to be indexed', async () => {
      const current = await ingestion.job('acme', 'job-after-garbage', reader);
      return current?.status === 'indexed' ? current : undefined;
    });
    expect(job.chunkCount).toBe(1);
    expect(dlq.messages[0]?.value).toEqual(Uint8Array.from([0x0f, 0xff, 0x00, 0x13]));
  });

  it('dead-letters an event without a tenant', async () => {
    const dlq = await deadLetters();
    await bus.publish(TOPIC, [
      {
        key: 'none',
        value: new TextEncoder().encode(JSON.stringify({ documentId: 'x', text: 'no tenant here' })),
        headers: { [EnvelopeHeader.contentType]: ContentType.json },
      },
    ]);
    await waitFor('the tenant-less event in the DLQ', () => dlq.messages.length === 1);
  });

  it('processes a JSON event from upstream that names neither job nor document', async () => {
    const idempotencyKey = 'upstream-42';
    const body = { tenantId: 'acme', contentType: 'text/markdown', text: '# Notes\n\nUpstream content.' };
    await bus.publish(TOPIC, [
      {
        key: 'acme:upstream-42',
        value: new TextEncoder().encode(JSON.stringify(body)),
        headers: { [EnvelopeHeader.contentType]: ContentType.json, [EnvelopeHeader.idempotencyKey]: idempotencyKey },
      },
    ]);
    const digest = eventContentDigest({ ...body, title: '', source: '', metadata: {}, aclGroups: [] });
    const documentId = documentIdForEvent('acme', digest);
    const job = await finishedJob('acme', jobIdForEvent('acme', documentId, digest, idempotencyKey));
    expect(job).toMatchObject({ status: 'indexed', documentId });
  });

  it('processes every distinct header-less event, an update as a new version, and a re-sent one once', async () => {
    const dlq = await deadLetters();
    const documents = ['alpha', 'beta', 'gamma'].map((documentId) => ({
      ...IngestRequested.fromPartial({}),
      tenantId: 'acme',
      documentId,
      contentType: 'text/plain',
      text: `The ${documentId} runbook says to restart the ${documentId} service.`,
    }));
    const update = { ...(documents[0] as IngestRequested), text: 'The alpha runbook now says to page the on-call.' };
    const anonymous = { ...IngestRequested.fromPartial({}), tenantId: 'acme', text: 'A note without an id.' };
    for (const payload of [...documents, anonymous]) await publishPlainJson(payload);

    const firstJobs = await Promise.all(
      [...documents, anonymous].map((payload) => finishedJob('acme', upstreamJobId(payload))),
    );
    expect(firstJobs.map((job) => job.status)).toEqual(['indexed', 'indexed', 'indexed', 'indexed']);
    const alphaV1 = firstJobs[0]?.documentVersion;

    await publishPlainJson(update);
    const updated = await finishedJob('acme', upstreamJobId(update));
    expect(updated).toMatchObject({ status: 'indexed', unchanged: false });
    expect(updated.documentVersion).not.toBe(alphaV1);
    expect((await ingestion.document('acme', 'alpha', reader))?.currentVersion).toBe(updated.documentVersion);

    // The same event again (a producer retry): the same job, nothing new.
    await publishPlainJson(documents[1] as IngestRequested);
    await publishPlainJson(anonymous);
    await publishPlainJson({
      ...IngestRequested.fromPartial({}),
      tenantId: 'acme',
      documentId: 'marker',
      text: 'Last.',
    });
    await finishedJob(
      'acme',
      upstreamJobId({ ...IngestRequested.fromPartial({}), tenantId: 'acme', documentId: 'marker', text: 'Last.' }),
    );
    expect(await records.jobs.count({ tenantId: 'acme' })).toBe(6);
    expect(dlq.messages).toHaveLength(0);
  });

  it('rejects a header-less event whose text is only invisible characters as an empty document', async () => {
    const payload = {
      ...IngestRequested.fromPartial({}),
      tenantId: 'acme',
      documentId: 'blank',
      text: '\u200B\u200C\uFEFF',
    };
    await publishPlainJson(payload);
    expect(await finishedJob('acme', upstreamJobId(payload))).toMatchObject({
      status: 'rejected',
      code: 'PARSE.EMPTY_DOCUMENT',
    });
  });

  it('dead-letters an event whose ids are unusable, or that is too big to identify (no job to record it on)', async () => {
    const dlq = await deadLetters();
    await publishPlainJson({ tenantId: 'acme', documentId: 'a/b', text: 'x' });
    await publishPlainJson({ tenantId: 'acme', jobId: 'j'.repeat(500), text: 'x' });
    await publishPlainJson({ tenantId: 'acme corp', text: 'x' });
    const metadata = Object.fromEntries(Array.from({ length: 5_000 }, (_, index) => [`k${index}`, 'v']));
    await publishPlainJson({ tenantId: 'acme', documentId: 'wide', text: 'x', metadata });
    await publishPlainJson({ tenantId: 'acme', documentId: 'wide', text: 'x', aclGroups: Array(65).fill('g') });
    await waitFor('five dead letters', () => dlq.messages.length === 5);
    expect(dlq.messages.map((message) => message.headers['keel-dlq-error-code'])).toEqual([
      'INGEST.INVALID_IDS',
      'INGEST.INVALID_IDS',
      'INGEST.INVALID_IDS',
      'INGEST.EVENT_TOO_LARGE',
      'INGEST.EVENT_TOO_LARGE',
    ]);
    expect(await records.jobs.count({ tenantId: 'acme' })).toBe(0);
  });

  it('fails the job of a request that went to the dead-letter topic, saying why', async () => {
    const payload = {
      ...IngestRequested.fromPartial({}),
      tenantId: 'acme',
      documentId: 'doomed',
      text: 'POLICY OUTAGE',
    };
    await publishPlainJson(payload);
    const job = await finishedJob('acme', upstreamJobId(payload));
    expect(job).toMatchObject({ status: 'failed', code: 'INGEST.DEAD_LETTERED' });
    expect(job.reason).toMatch(/keel\.ingest\.requested\.v1\.dlq after 2 attempts: .*connection refused/);
  });
});

const meta: EventMeta = {
  eventId: 'e1',
  eventType: 'keel.events.v1.IngestRequested',
  tenantId: 'acme',
  idempotencyKey: 'k1',
  contentType: ContentType.protobuf,
};

describe('requestFromEvent', () => {
  it('defaults the content type, and keeps the document’s groups when the event has none', () => {
    const request = requestFromEvent(
      { ...IngestRequested.fromPartial({}), tenantId: 'acme', documentId: 'd', jobId: 'j', text: 'x' },
      meta,
    );
    expect(request).toMatchObject({ jobId: 'j', documentId: 'd', contentType: 'text/plain' });
    expect(request.aclGroups).toBeUndefined();
    expect(request.contentAddressed).toBeUndefined();
  });

  it('opens the document to the whole tenant with ["*"], and normalizes groups', () => {
    const base = { ...IngestRequested.fromPartial({}), tenantId: 'acme', documentId: 'd', text: 'x' };
    expect(requestFromEvent({ ...base, aclGroups: ['*'] }, meta).aclGroups).toEqual(['*']);
    expect(requestFromEvent({ ...base, aclGroups: [' hr ', 'hr', ''] }, meta).aclGroups).toEqual(['hr']);
  });

  it('derives stable ids when they are missing, even without any Keel header', () => {
    const payload = { ...IngestRequested.fromPartial({}), tenantId: 'acme', text: 'x', aclGroups: ['hr'] };
    const bare = { ...meta, eventId: '', idempotencyKey: '' };
    const first = requestFromEvent(payload, bare);
    const redelivered = requestFromEvent(payload, bare);
    expect(redelivered.jobId).toBe(first.jobId);
    expect(redelivered.documentId).toBe(first.documentId);
    expect(first).toMatchObject({ aclGroups: ['hr'], contentAddressed: true });

    const another = requestFromEvent({ ...payload, text: 'y' }, bare);
    expect(another.documentId).not.toBe(first.documentId);
    expect(another.jobId).not.toBe(first.jobId);

    const update = requestFromEvent({ ...payload, documentId: 'd', text: 'v2' }, bare);
    const original = requestFromEvent({ ...payload, documentId: 'd', text: 'v1' }, bare);
    expect(update.documentId).toBe(original.documentId);
    expect(update.jobId).not.toBe(original.jobId);
  });

  it('refuses unusable ids with a non-retryable error', () => {
    const base = { ...IngestRequested.fromPartial({}), tenantId: 'acme', text: 'x' };
    for (const payload of [
      { ...base, documentId: '../etc' },
      { ...base, jobId: 'x'.repeat(129) },
      { ...base, tenantId: 't/'.repeat(10) },
    ]) {
      expect(() => requestFromEvent(payload, meta)).toThrow(expect.objectContaining({ retryable: false }));
    }
  });
});
