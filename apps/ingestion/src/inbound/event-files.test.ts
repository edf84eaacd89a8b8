import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ContentType, decodeEvent, EnvelopeHeader } from '@keel/contracts';
import { IngestRequested } from '@keel/contracts/events/v1/documents';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import {
  DeadLetterHeader,
  type EventBus,
  EventPublisher,
  type IncomingMessage,
  type Subscription,
} from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createLogger } from '@keel/platform';
import { waitFor } from '@keel/testing';
import { FileParser } from '@keel/text/formats';
import { chunkCollectionName, type VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../indexing/blob-store.js';
import { createDocumentFiles } from '../indexing/document-files.js';
import { createIngestion, type Ingestion } from '../indexing/ingestion.js';
import { type IngestionRecords, openIngestionRecords } from '../indexing/records.js';
import { allowAll, HashingEmbedder, ScriptedScanner } from '../testing/fakes.js';
import { startDeadLetterWatcher, startIngestConsumer } from './ingest-consumer.js';

const TOPIC = 'keel.ingest.requested.v1';
const sample = (name: string) =>
  readFileSync(new URL(`../../../../libs/text/src/formats/fixtures/${name}`, import.meta.url));

let directory: string;
let fileRoot: string;
let bus: EventBus;
let store: DocumentStore;
let vectors: VectorIndex;
let ingestion: Ingestion;
let records: IngestionRecords;
let subscriptions: Subscription[];
let blobs: BlobStore;
let collected: { rejected: IncomingMessage[]; dlq: IncomingMessage[] };
let server: Server;
let serverUrl: string;
const parser = new FileParser();
const reader = { subject: 'reader', aclGroups: [] as string[] };

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/manual.pdf')
      res.writeHead(200, { 'content-type': 'application/pdf' }).end(sample('hello_world_rotated.pdf'));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await parser.close();
  await new Promise((resolve) => server.close(resolve));
});

async function publish(payload: Partial<IngestRequested>): Promise<void> {
  const event = IngestRequested.toJSON({ ...IngestRequested.fromPartial({}), tenantId: 'acme', ...payload });
  await bus.publish(TOPIC, [
    {
      key: 'k',
      value: new TextEncoder().encode(JSON.stringify(event)),
      headers: { [EnvelopeHeader.contentType]: ContentType.json },
    },
  ]);
}

async function finishedJob(jobId: string) {
  return waitFor(
    `job ${jobId} to finish`,
    async () => {
      const job = await ingestion.job('acme', jobId, reader);
      return job && job.status !== 'queued' && job.status !== 'running' ? job : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'keel-event-files-'));
  fileRoot = join(directory, 'shared');
  mkdirSync(fileRoot);
  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  vectors = await createEmbeddedVectorIndex({ directory: join(directory, 'vectors') });
  const embedder = new HashingEmbedder(16);
  const collection = chunkCollectionName(embedder);
  await vectors.ensureCollection({ name: collection, dimensions: embedder.dimensions });
  await bus.ensureTopics([
    { name: TOPIC, partitions: 1 },
    { name: 'keel.document.indexed.v1' },
    { name: 'keel.document.rejected.v1' },
  ]);
  records = await openIngestionRecords(store);
  blobs = await BlobStore.open(store);
  const logger = createLogger('event-files-test', { level: 'silent' });
  ingestion = createIngestion({
    records,
    vectors,
    collection,
    embedder,
    scanner: new ScriptedScanner(() => allowAll()),
    publisher: new EventPublisher(bus),
    logger,
    embedBatchSize: 8,
    files: createDocumentFiles({
      blobs,
      parser,
      fetch: { fileRoot, hosts: ['127.0.0.1'], maxBytes: 64 * 1024, timeoutMs: 5_000 },
    }),
  });
  collected = { rejected: [], dlq: [] };
  subscriptions = [
    await startIngestConsumer(bus, ingestion, { retry: { maxAttempts: 2, initialBackoffMs: 5 } }),
    await startDeadLetterWatcher(bus, ingestion, logger),
    await bus.subscribe({
      groupId: 'test-readers',
      topics: ['keel.document.rejected.v1', `${TOPIC}.dlq`],
      handler: async (message) => {
        (message.topic === `${TOPIC}.dlq` ? collected.dlq : collected.rejected).push(message);
      },
    }),
  ];
});

afterEach(async () => {
  for (const subscription of subscriptions) await subscription.stop();
  await bus.close();
  await store.close();
  await vectors.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('keel.ingest.requested.v1 with a file', () => {
  it('indexes the bytes carried in the event (content), with the pages on each chunk', async () => {
    await publish({
      documentId: 'rotated',
      jobId: 'job-bytes',
      content: sample('hello_world_rotated.pdf'),
      fileName: 'r.pdf',
    });
    expect(await finishedJob('job-bytes')).toMatchObject({ status: 'indexed', chunkCount: 1 });
    const chunk = (await records.chunks.find({ where: { documentId: 'rotated' } })).items[0];
    expect(chunk).toMatchObject({ parser: 'pdf-unpdf-v1', pages: [1, 2, 3, 4, 5] });
  }, 60_000);

  it('reads file:// URIs inside INGEST_FILE_ROOT only, symlinks resolved', async () => {
    writeFileSync(join(fileRoot, 'guide.docx'), sample('par-known-paragraphs.docx'));
    await publish({
      documentId: 'guide',
      jobId: 'job-file',
      contentUri: pathToFileURL(join(fileRoot, 'guide.docx')).href,
    });
    expect(await finishedJob('job-file')).toMatchObject({ status: 'indexed' });
    expect((await ingestion.document('acme', 'guide', reader))?.contentType).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );

    writeFileSync(join(directory, 'secret.txt'), 'outside the root');
    symlinkSync(join(directory, 'secret.txt'), join(fileRoot, 'link.txt'));
    await publish({
      jobId: 'job-outside',
      documentId: 'o1',
      contentUri: pathToFileURL(join(directory, 'secret.txt')).href,
    });
    await publish({ jobId: 'job-link', documentId: 'o2', contentUri: pathToFileURL(join(fileRoot, 'link.txt')).href });
    await publish({
      jobId: 'job-missing',
      documentId: 'o3',
      contentUri: pathToFileURL(join(fileRoot, 'nope.pdf')).href,
    });
    expect(await finishedJob('job-outside')).toMatchObject({
      status: 'rejected',
      code: 'DOCUMENT.CONTENT_URI_FORBIDDEN',
    });
    expect(await finishedJob('job-link')).toMatchObject({ status: 'rejected', code: 'DOCUMENT.CONTENT_URI_FORBIDDEN' });
    expect(await finishedJob('job-missing')).toMatchObject({ status: 'rejected', code: 'DOCUMENT.CONTENT_NOT_FOUND' });
  }, 60_000);

  it('fetches http(s) URIs on allowed hosts only', async () => {
    await publish({ documentId: 'manual', jobId: 'job-http', contentUri: `${serverUrl}/manual.pdf` });
    expect(await finishedJob('job-http')).toMatchObject({ status: 'indexed' });
    await publish({ documentId: 'gone', jobId: 'job-404', contentUri: `${serverUrl}/gone.pdf` });
    expect(await finishedJob('job-404')).toMatchObject({ status: 'rejected', code: 'DOCUMENT.CONTENT_NOT_FOUND' });
    await publish({ documentId: 'elsewhere', jobId: 'job-host', contentUri: 'http://example.invalid/a.pdf' });
    expect(await finishedJob('job-host')).toMatchObject({ status: 'rejected', code: 'DOCUMENT.CONTENT_URI_FORBIDDEN' });
  }, 60_000);

  it('rejects a file it cannot index with the reason on the job and keel.document.rejected.v1', async () => {
    await publish({ documentId: 'locked', jobId: 'job-encrypted', content: sample('encrypted-attachment.pdf') });
    expect(await finishedJob('job-encrypted')).toMatchObject({ status: 'rejected', code: 'PARSE.ENCRYPTED' });
    await waitFor('the rejection event', () => collected.rejected.length === 1);
    const rejected = decodeEvent('keel.document.rejected.v1', collected.rejected[0] as IncomingMessage).payload;
    expect(rejected).toMatchObject({ documentId: 'locked', jobId: 'job-encrypted', code: 'PARSE.ENCRYPTED' });
    expect(rejected.reason).toBe('the PDF is password-protected');
  }, 60_000);

  it('dead-letters an event with both text and a file, and goes on with the next', async () => {
    await publish({ documentId: 'both', jobId: 'job-both', text: 'Some text.', content: Buffer.from('more') });
    await publish({
      documentId: 'next',
      jobId: 'job-next',
      content: Buffer.from('# Next\n\nFine.'),
      fileName: 'next.md',
    });
    expect(await finishedJob('job-next')).toMatchObject({ status: 'indexed' });
    await waitFor('the malformed event in the DLQ', () => collected.dlq.length === 1, { timeoutMs: 15_000 });
    expect(collected.dlq[0]?.headers[DeadLetterHeader.error]).toMatch(/only one of text, content and content_uri/);
    // Refused before a job was recorded: nothing waits for it.
    expect(await ingestion.job('acme', 'job-both', reader)).toBeNull();
  }, 60_000);
});
