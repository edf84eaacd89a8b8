/**
 * Ingestion throughput end to end: `keel.ingest.requested.v1` events of 1-2 KB text (MEDLINE and
 * Cranfield abstracts, read in place from ../shared/datasets) published all at once, counted until
 * every job is finished, through the embedded bus and through real Kafka. Everything a document
 * goes through under `npm start` is in the path: the real policy service over gRPC (Scan), the
 * embedded word-vector embedder, the embedded vector index and the SQLite document store.
 *
 * The baseline, in the same run, is the per-document consumer (`INGEST_BATCH_SIZE=1`): one
 * document at a time per partition, as before batching.
 */

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseEmbedder } from '@keel/adapters';
import { IngestRequested } from '@keel/contracts/events/v1/documents';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { type EventBus, EventPublisher, ensureKeelTopics, subscribeToEvents } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createKafkaEventBus } from '@keel/event-bus/kafka';
import { loadIngestionConfig, startIngestionService } from '@keel/ingestion';
import { createLogger } from '@keel/platform';
import { testInternalToken } from '@keel/platform/testing';
import { findKafka } from '@keel/testing';
import type { Embedder } from '@keel/text';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { Kafka, logLevel } from 'kafkajs';
import {
  type Benchmark,
  type BenchmarkReport,
  integerSetting,
  memorySnapshot,
  type Row,
  skippedRow,
} from './harness.js';

const settings = {
  documents: integerSetting('BENCH_INGEST_DOCUMENTS', 1_500),
  minBytes: 1_000,
  maxBytes: 2_048,
  batchSize: integerSetting('BENCH_INGEST_BATCH', 64),
  timeoutMs: integerSetting('BENCH_INGEST_TIMEOUT_MS', 600_000),
};

const TARGET_DOCS_PER_SEC = 200;
const datasets = join(import.meta.dirname, '..', '..', 'shared', 'datasets');

/** SMART-format abstracts (`.I` then `.W` text), whitespace folded. */
function smartAbstracts(path: string): string[] {
  const texts: string[] = [];
  for (const record of readFileSync(path, 'utf8').split(/^\.I /m).slice(1)) {
    const body = record.split(/^\.W\s*$/m)[1];
    if (body) texts.push(body.replace(/\s+/g, ' ').trim());
  }
  return texts;
}

/** 1-2 KB documents: abstracts of that size, and shorter ones joined until they are. */
export function benchmarkDocuments(count: number): string[] {
  const abstracts = [
    ...smartAbstracts(join(datasets, 'medline', 'MED.ALL')),
    ...smartAbstracts(join(datasets, 'cranfield', 'cran.all.1400')),
  ];
  const documents: string[] = [];
  let pending = '';
  for (let round = 0; documents.length < count; round++) {
    for (const abstract of abstracts) {
      // Later rounds number the text, so every document is new content (nothing is deduplicated).
      const text = round === 0 ? abstract : `${abstract} (${round})`;
      pending = pending ? `${pending}\n\n${text}` : text;
      const bytes = Buffer.byteLength(pending);
      if (bytes < settings.minBytes) continue;
      if (bytes <= settings.maxBytes) documents.push(pending);
      pending = '';
      if (documents.length === count) break;
    }
  }
  return documents;
}

interface RunFigures {
  seconds: number;
  documents: number;
  chunks: number;
  rejected: number;
  rssMb: number;
}

async function measure(
  bus: EventBus,
  embedder: Embedder,
  policyAddress: string,
  batchSize: number,
  documents: string[],
  /** Places a new consumer group at the end of the log: what others published before is not measured. */
  pinGroup?: (groupId: string) => Promise<void>,
): Promise<RunFigures> {
  const directory = mkdtempSync(join(tmpdir(), 'keel-bench-ingest-'));
  const store = createEmbeddedDocumentStore({ path: join(directory, 'ingestion.db') });
  const vectors = await createEmbeddedVectorIndex({ directory: join(directory, 'vectors') });
  const group = `bench-ingestion-${randomUUID()}`;
  await pinGroup?.(group);
  const service = await startIngestionService(
    { bus, store, vectors, embedder, logger: createLogger('ingestion', { level: 'warn' }) },
    loadIngestionConfig({
      HTTP_PORT: '0',
      KEEL_API_KEYS: 'bench-key=bench',
      KEEL_INTERNAL_TOKEN: internalToken,
      POLICY_ADDRESS: policyAddress,
      INGEST_CONSUMER_GROUP: group,
      INGEST_BATCH_SIZE: String(batchSize),
    }),
  );
  let indexed = 0;
  let rejected = 0;
  let chunks = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const tenantId = `bench${randomUUID().slice(0, 8)}`;
  const outcome = (kind: 'indexed' | 'rejected', chunkCount: number) => {
    if (kind === 'indexed') indexed += 1;
    else rejected += 1;
    chunks += chunkCount;
    if (indexed + rejected === documents.length) resolveDone();
  };
  const watchers = await Promise.all([
    subscribeToEvents(bus, {
      groupId: `${group}-indexed`,
      topic: 'keel.document.indexed.v1',
      fromBeginning: false,
      handle: async (event) => {
        if (event.payload.tenantId === tenantId) outcome('indexed', event.payload.chunkCount);
      },
    }),
    subscribeToEvents(bus, {
      groupId: `${group}-rejected`,
      topic: 'keel.document.rejected.v1',
      fromBeginning: false,
      handle: async (event) => {
        if (event.payload.tenantId === tenantId) outcome('rejected', 0);
      },
    }),
  ]);
  try {
    const publisher = new EventPublisher(bus);
    const startedAt = performance.now();
    // Published as upstream systems do, many at a time: the consumer, not the producer, is measured.
    for (let start = 0; start < documents.length; start += 100) {
      await Promise.all(
        documents.slice(start, start + 100).map((text, offset) =>
          publisher.publish(
            'keel.ingest.requested.v1',
            // fromPartial: fields added later (file content, references) keep their defaults.
            IngestRequested.fromPartial({
              tenantId,
              documentId: `doc-${start + offset}`,
              jobId: `job-${start + offset}`,
              title: `abstract ${start + offset}`,
              source: `bench://abstracts/${start + offset}`,
              contentType: 'text/plain',
              text,
              metadata: {},
              aclGroups: [],
              requestedAt: new Date(),
            }),
          ),
        ),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`only ${indexed + rejected} of ${documents.length} finished in time`)),
          settings.timeoutMs,
        );
      }),
    ]);
    clearTimeout(timer);
    const seconds = (performance.now() - startedAt) / 1000;
    return { seconds, documents: indexed, chunks, rejected, rssMb: memorySnapshot().rssMb };
  } finally {
    await Promise.all(watchers.map((watcher) => watcher.stop()));
    await service.stop();
    await store.close();
    await vectors.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The fake policy server knows only the test token: both sides use it. */
const internalToken = testInternalToken;

/**
 * The real policy service in this process, on its embedded defaults. While it cannot be loaded
 * (another change in progress), a gRPC server that allows everything stands in, and the note says so.
 */
async function startPolicy(notes: string[]): Promise<{ address: string; close(): Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), 'keel-bench-policy-'));
  const bus = createEmbeddedEventBus();
  const store = createEmbeddedDocumentStore({ path: ':memory:' });
  const cleanup = async () => {
    await bus.close();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    const { loadPolicyConfig, startPolicyService } = await import('@keel/policy');
    const service = await startPolicyService(
      { bus, store, logger: createLogger('policy', { level: 'warn' }) },
      loadPolicyConfig({
        GRPC_PORT: '0',
        HTTP_PORT: '0',
        KEEL_INTERNAL_TOKEN: internalToken,
        KEEL_API_KEYS: 'policy-key=bench',
        KEEL_DATA_DIR: directory,
      }),
    );
    return {
      address: String(service.urls.grpc).replace(/^grpc:\/\//, ''),
      close: async () => {
        await service.stop();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    notes.push(
      `the policy service could not be loaded (${String(error).slice(0, 160)}): an allow-all Scan server stood in`,
    );
    const { startFakePolicyServer } = await import('../apps/ingestion/src/testing/fake-policy-server.js');
    const fake = await startFakePolicyServer();
    return { address: fake.address, close: () => fake.close() };
  }
}

function figuresRow(bus: string, mode: string, figures: RunFigures): Row {
  const docsPerSec = figures.documents / figures.seconds;
  return {
    bus,
    mode,
    documents: figures.documents,
    rejected: figures.rejected,
    chunks: figures.chunks,
    seconds: figures.seconds,
    'docs/s': docsPerSec,
    'chunks/s': figures.chunks / figures.seconds,
    target: bus === 'kafka' && mode.startsWith('batched') ? `>= ${TARGET_DOCS_PER_SEC} docs/s` : undefined,
    met: bus === 'kafka' && mode.startsWith('batched') ? String(docsPerSec >= TARGET_DOCS_PER_SEC) : undefined,
    'rss MB': figures.rssMb,
  };
}

export const ingestionThroughputBenchmark: Benchmark = {
  name: 'ingestion-throughput',
  description:
    'documents/s and chunks/s of 1-2 KB text end to end (policy Scan, embed, index), per-document vs batched',
  async run(): Promise<BenchmarkReport> {
    const documents = benchmarkDocuments(settings.documents);
    const notes: string[] = [];
    const rows: Row[] = [];
    const policy = await startPolicy(notes);
    const policyAddress = policy.address;
    const embedder = await chooseEmbedder({});
    const modes: { name: string; batchSize: number }[] = [
      { name: 'per-document (baseline)', batchSize: 1 },
      { name: `batched (${settings.batchSize})`, batchSize: settings.batchSize },
    ];
    // BENCH_INGEST_MODES=batched measures one mode alone (for profiling).
    const only = process.env.BENCH_INGEST_MODES;
    if (only) modes.splice(0, modes.length, ...modes.filter((mode) => mode.name.startsWith(only)));
    try {
      // A bus of its own per mode: a new group reads its log from the beginning.
      for (const mode of modes) {
        const busDir = mkdtempSync(join(tmpdir(), 'keel-bench-bus-'));
        const embedded = createEmbeddedEventBus({ path: join(busDir, 'event-bus.db') });
        try {
          await ensureKeelTopics(embedded);
          rows.push(
            figuresRow(
              'embedded',
              mode.name,
              await measure(embedded, embedder, policyAddress, mode.batchSize, documents),
            ),
          );
        } finally {
          await embedded.close();
          rmSync(busDir, { recursive: true, force: true });
        }
      }
      const kafka = process.env.BENCH_INGEST_KAFKA === '0' ? undefined : await findKafka();
      if (!kafka?.available) {
        const reason = kafka ? kafka.reason : 'BENCH_INGEST_KAFKA=0';
        notes.push(`Kafka skipped: ${reason}`);
        rows.push(skippedRow('kafka', reason));
      } else {
        const bus = createKafkaEventBus({ brokers: kafka.endpoint.brokers, clientId: 'bench-ingestion' });
        const admin = new Kafka({ brokers: kafka.endpoint.brokers, logLevel: logLevel.NOTHING }).admin();
        const groups: string[] = [];
        try {
          await admin.connect();
          await ensureKeelTopics(bus);
          // The shared broker's topics hold what other runs published: the group starts at their end.
          const pinGroup = async (groupId: string) => {
            groups.push(groupId, `${groupId}-dead-letters`, `${groupId}-indexed`, `${groupId}-rejected`);
            // Explicit offsets: resetOffsets(latest) stores -1, which a consumer reads as "none" (earliest).
            const topic = 'keel.ingest.requested.v1';
            const ends = await admin.fetchTopicOffsets(topic);
            await admin.setOffsets({
              groupId,
              topic,
              partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
            });
          };
          for (const mode of modes) {
            rows.push(
              figuresRow(
                'kafka',
                mode.name,
                await measure(bus, embedder, policyAddress, mode.batchSize, documents, pinGroup),
              ),
            );
          }
        } finally {
          await bus.close();
          await admin.deleteGroups(groups).catch(() => undefined);
          await admin.disconnect();
        }
      }
    } finally {
      await policy.close();
    }
    return {
      config: {
        ...settings,
        averageBytes: Math.round(documents.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / documents.length),
      },
      tables: [{ title: 'end to end, publish of the first event to the last outcome event', rows }],
      notes,
    };
  },
};
