import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentType, EnvelopeHeader, type EventMeta } from '@keel/contracts';
import { IngestRequested } from '@keel/contracts/events/v1/documents';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { type EventBus, EventPublisher, type IncomingMessage, type Subscription } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createLogger } from '@keel/platform';
import { waitFor } from '@keel/testing';
import { chunkCollectionName, type VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { documentIdForEvent, jobIdForEvent } from '../indexing/identifiers.js';
import { createIngestion, type Ingestion } from '../indexing/ingestion.js';
import { openIngestionRecords } from '../indexing/records.js';
import { allowAll, HashingEmbedder, ScriptedScanner } from '../testing/fakes.js';
import { requestFromEvent, startIngestConsumer } from './ingest-consumer.js';

const TOPIC = 'keel.ingest.requested.v1';

let directory: string;
let bus: EventBus;
let store: DocumentStore;
let vectors: VectorIndex;
let ingestion: Ingestion;
let subscriptions: Subscription[];

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
  const collection = chunkCollectionName(embedder.dimensions);
  await vectors.ensureCollection({ name: collection, dimensions: embedder.dimensions });
  await bus.ensureTopics([{ name: TOPIC, partitions: 1 }, { name: 'keel.document.indexed.v1' }]);
  ingestion = createIngestion({
    records: await openIngestionRecords(store),
    vectors,
    collection,
    embedder,
    scanner: new ScriptedScanner(allowAll),
    publisher: new EventPublisher(bus),
    logger: createLogger('ingest-consumer-test', { level: 'silent' }),
    embedBatchSize: 8,
  });
  subscriptions = [await startIngestConsumer(bus, ingestion, { retry: { maxAttempts: 2, initialBackoffMs: 5 } })];
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
      const current = await ingestion.job('acme', 'job-after-garbage');
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
    await bus.publish(TOPIC, [
      {
        key: 'acme:upstream-42',
        value: new TextEncoder().encode(
          JSON.stringify({ tenantId: 'acme', contentType: 'text/markdown', text: '# Notes\n\nUpstream content.' }),
        ),
        headers: { [EnvelopeHeader.contentType]: ContentType.json, [EnvelopeHeader.idempotencyKey]: idempotencyKey },
      },
    ]);
    const jobId = jobIdForEvent('acme', idempotencyKey);
    const job = await waitFor('the upstream job to be indexed', async () => {
      const current = await ingestion.job('acme', jobId);
      return current?.status === 'indexed' ? current : undefined;
    });
    expect(job.documentId).toBe(documentIdForEvent('acme', idempotencyKey));
  });
});

describe('requestFromEvent', () => {
  const meta: EventMeta = {
    eventId: 'e1',
    eventType: 'keel.events.v1.IngestRequested',
    tenantId: 'acme',
    idempotencyKey: 'k1',
    contentType: ContentType.protobuf,
  };

  it('defaults the content type and opens the document to the tenant when no groups are given', () => {
    const request = requestFromEvent(
      { ...IngestRequested.fromPartial({}), tenantId: 'acme', documentId: 'd', jobId: 'j', text: 'x' },
      meta,
    );
    expect(request).toMatchObject({ jobId: 'j', documentId: 'd', contentType: 'text/plain', aclGroups: ['*'] });
  });

  it('derives stable job and document ids from the idempotency key when they are missing', () => {
    const payload = { ...IngestRequested.fromPartial({}), tenantId: 'acme', text: 'x', aclGroups: ['hr'] };
    const first = requestFromEvent(payload, meta);
    const redelivered = requestFromEvent(payload, { ...meta, eventId: 'e2' });
    expect(redelivered.jobId).toBe(first.jobId);
    expect(redelivered.documentId).toBe(first.documentId);
    expect(first.aclGroups).toEqual(['hr']);
  });
});
