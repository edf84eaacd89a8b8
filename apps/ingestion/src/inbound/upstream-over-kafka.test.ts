/**
 * Upstream events over real Kafka, as a producer outside Keel sends them: a plain kafkajs
 * producer, JSON values and no header but `content-type` (no event id, no idempotency key). Each
 * distinct event must be processed, an update must make a new version, the same event sent again
 * must not make a second job, and nothing may end in the dead-letter topic.
 *
 * The service runs under a consumer group of its own (INGEST_CONSUMER_GROUP), started at the end
 * of the topic, and a tenant of its own, so that other runs sharing the broker do not interfere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentType, type EventMeta } from '@keel/contracts';
import { IngestRequested } from '@keel/contracts/events/v1/documents';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { ensureKeelTopics, type IncomingMessage } from '@keel/event-bus';
import { createKafkaEventBus } from '@keel/event-bus/kafka';
import { createLogger, type RunningService } from '@keel/platform';
import { describeWithInfra, findKafka, uniqueName, waitFor } from '@keel/testing';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadIngestionConfig } from '../config.js';
import { COLLECTION_NAMES, type DocumentRecord, type JobRecord } from '../indexing/records.js';
import { startIngestionService } from '../service.js';
import { HashingEmbedder } from '../testing/fakes.js';
import { requestFromEvent } from './ingest-consumer.js';

const TOPIC = 'keel.ingest.requested.v1';
const kafka = await findKafka();

describeWithInfra('upstream events without Keel headers over Kafka', kafka, ({ brokers }) => {
  const tenantId = uniqueName('upstream');
  const groupId = uniqueName('keel-ingestion-upstream-test');
  const directory = mkdtempSync(join(tmpdir(), 'keel-ingestion-kafka-'));
  const client = new Kafka({ brokers, clientId: 'keel-ingestion-upstream-test', logLevel: logLevel.NOTHING });
  const store = createEmbeddedDocumentStore({ path: ':memory:' });
  const bus = createKafkaEventBus({ brokers, clientId: groupId });
  const deadLetters: IncomingMessage[] = [];
  let producer: Producer;
  let service: RunningService | undefined;
  let closeVectors: (() => Promise<void>) | undefined;

  const bareMeta: EventMeta = {
    eventId: '',
    eventType: 'keel.events.v1.IngestRequested',
    tenantId,
    idempotencyKey: '',
    contentType: ContentType.json,
  };

  const event = (fields: Partial<IngestRequested>): IngestRequested => ({
    ...IngestRequested.fromPartial({}),
    tenantId,
    contentType: 'text/plain',
    ...fields,
  });

  /** What an upstream producer sends: a JSON value, and `content-type` as its only header. */
  async function send(...events: IngestRequested[]): Promise<void> {
    await producer.send({
      topic: TOPIC,
      messages: events.map((payload) => ({
        // One key: these events stay in order on one partition.
        key: `${tenantId}:upstream`,
        value: JSON.stringify(IngestRequested.toJSON(payload)),
        headers: { 'content-type': 'application/json' },
      })),
    });
  }

  async function jobOf(payload: IngestRequested): Promise<JobRecord> {
    const jobs = await store.collection<JobRecord>(COLLECTION_NAMES.jobs);
    const { jobId } = requestFromEvent(payload, bareMeta);
    return waitFor(
      `the job of ${payload.documentId || 'an anonymous document'} to finish`,
      async () => {
        const job = await jobs.get(`${tenantId}/${jobId}`);
        return job && job.status !== 'queued' && job.status !== 'running' ? job : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 100 },
    );
  }

  beforeAll(async () => {
    producer = client.producer();
    await producer.connect();
    await ensureKeelTopics(bus);
    // A new group starts at the end of the topic, not at what earlier runs left on it.
    const admin = client.admin();
    await admin.connect();
    try {
      // Explicit offsets: resetOffsets(latest) stores -1, which kafkajs reads as "none" and then
      // starts at the beginning, so the group would work through everything earlier runs left.
      const ends = await admin.fetchTopicOffsets(TOPIC);
      await admin.setOffsets({
        groupId,
        topic: TOPIC,
        partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
      });
    } finally {
      await admin.disconnect();
    }
    await bus.subscribe({
      groupId: uniqueName('dlq-watch'),
      topics: [`${TOPIC}.dlq`],
      fromBeginning: false,
      handler: async (message) => {
        if (new TextDecoder().decode(message.value).includes(tenantId)) deadLetters.push(message);
      },
    });
    const vectors = await createEmbeddedVectorIndex({ directory: join(directory, 'vectors') });
    closeVectors = () => vectors.close();
    service = await startIngestionService(
      {
        bus,
        store,
        vectors,
        embedder: new HashingEmbedder(32),
        logger: createLogger('ingestion', { level: 'silent' }),
      },
      loadIngestionConfig({
        HTTP_PORT: '0',
        KEEL_API_KEYS: `key=${tenantId}`,
        POLICY_SCAN: 'off',
        INGEST_CONSUMER_GROUP: groupId,
        INGEST_RETRY_ATTEMPTS: '2',
        INGEST_RETRY_INITIAL_BACKOFF_MS: '50',
      }),
    );
  }, 90_000);

  afterAll(async () => {
    await service?.stop();
    await producer?.disconnect();
    await bus.close();
    await store.close();
    await closeVectors?.();
    rmSync(directory, { recursive: true, force: true });
  });

  it('indexes every document, an update as a new version, and a re-sent event once, with nothing dead-lettered', async () => {
    const handbook = event({ documentId: 'handbook', title: 'Handbook', text: 'Laptops are issued on day one.' });
    const travel = event({ documentId: 'travel', text: 'Trains are booked two weeks ahead.', aclGroups: ['ops'] });
    const pricing = event({ documentId: 'pricing', text: 'The basic plan costs ten euros.', metadata: { y: '2025' } });
    const anonymous = event({ text: 'A note that names no document.' });
    await send(handbook, travel, pricing, anonymous);

    const first = await Promise.all([handbook, travel, pricing, anonymous].map(jobOf));
    expect(first.map((job) => job.status)).toEqual(['indexed', 'indexed', 'indexed', 'indexed']);
    expect(new Set(first.map((job) => job.jobId)).size).toBe(4);
    expect(new Set(first.map((job) => job.documentId)).size).toBe(4);

    const update = event({ documentId: 'handbook', title: 'Handbook', text: 'Laptops are issued before day one.' });
    await send(update);
    const updated = await jobOf(update);
    expect(updated).toMatchObject({ status: 'indexed', unchanged: false });
    expect(updated.documentVersion).not.toBe(first[0]?.documentVersion);
    const documents = await store.collection<DocumentRecord>(COLLECTION_NAMES.documents);
    const record = await documents.get(`${tenantId}/handbook`);
    expect(record?.currentVersion).toBe(updated.documentVersion);
    expect(record?.versions.map((version) => version.state)).toEqual(['superseded', 'current']);

    // The same event sent again: no second job. The marker after it proves it was consumed.
    const marker = event({ documentId: 'marker', text: 'Sent last.' });
    await send(travel, anonymous, marker);
    await jobOf(marker);
    const jobs = await store.collection<JobRecord>(COLLECTION_NAMES.jobs);
    expect(await jobs.count({ tenantId })).toBe(6);
    expect(deadLetters).toEqual([]);
  }, 90_000);
});
