/**
 * Ingestion throughput end to end: `keel.ingest.requested.v1` events of 1-2 KB text (MEDLINE and
 * Cranfield abstracts, read in place from ../shared/datasets) published all at once, counted until
 * every job is finished, through the embedded bus and through real Kafka. Everything a document
 * goes through under `npm start` is in the path: the real policy service over gRPC (Scan), the
 * embedded word-vector embedder, the embedded vector index and the SQLite document store.
 *
 * The baseline, in the same run, is the per-document consumer (`INGEST_BATCH_SIZE=1`): one
 * document at a time per partition, as before batching.
 *
 * A second subject uploads the public PDF and DOCX samples of ../shared/datasets/documents as
 * multipart `POST /v1/documents` (blob, then `content_uri` on the bus): parse, scan, chunk, embed
 * and index, with rejections (empty, encrypted, scanned files) counted apart with their codes.
 */

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
const fileSettings = {
  files: integerSetting('BENCH_INGEST_FILES', 160),
  uploadConcurrency: integerSetting('BENCH_INGEST_UPLOAD_CONCURRENCY', 8),
};
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

interface SampleFile {
  name: string;
  bytes: Buffer;
}

/** Every public PDF and DOCX of ../shared/datasets/documents (licences beside them), read in place. */
export function sampleFiles(): SampleFile[] {
  const files: SampleFile[] = [];
  for (const kind of ['pdf', 'docx']) {
    const directory = join(datasets, 'documents', kind);
    for (const name of readdirSync(directory).sort()) {
      if (name.toLowerCase().endsWith(`.${kind}`)) files.push({ name, bytes: readFileSync(join(directory, name)) });
    }
  }
  if (files.length === 0) throw new Error(`no PDF or DOCX under ${join(datasets, 'documents')}`);
  return files;
}

/**
 * Real files uploaded as a client does (`POST /v1/documents` multipart, `uploadConcurrency` at a
 * time), the set repeated until `count`: each upload is a document of its own (its own id and
 * source), so a repeat is indexed again, not found unchanged.
 */
function filesWorkload(files: SampleFile[], count: number): Workload {
  return {
    count,
    label: (documentId) => files[Number(documentId.replace('file-', '')) % files.length]?.name ?? documentId,
    async submit({ baseUrl, apiKey }) {
      let next = 0;
      const upload = async (index: number) => {
        const file = files[index % files.length] as SampleFile;
        const form = new FormData();
        form.append('file', new Blob([file.bytes]), file.name);
        form.append('documentId', `file-${index}`);
        form.append('source', `bench://files/${index}/${file.name}`);
        const response = await fetch(`${baseUrl}/v1/documents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}` },
          body: form,
        });
        if (response.status !== 202) {
          throw new Error(
            `upload of ${file.name} answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
          );
        }
        await response.body?.cancel();
      };
      await Promise.all(
        Array.from({ length: Math.min(fileSettings.uploadConcurrency, count) }, async () => {
          while (next < count) await upload(next++);
        }),
      );
    },
  };
}

interface RunFigures {
  seconds: number;
  /** Until the last submission was accepted (published, or answered 202). */
  submittedSeconds: number;
  /** Indexed jobs. */
  documents: number;
  chunks: number;
  rejected: number;
  /** Rejection codes with their counts. */
  rejections: string;
  /** Distinct rejected inputs (by label) with code and reason. */
  rejectedInputs: string[];
  rssMb: number;
}

/** Text documents published as `keel.ingest.requested.v1` events, as upstream systems do. */
function textWorkload(documents: string[]): Workload {
  return {
    count: documents.length,
    async submit({ bus, tenantId }) {
      const publisher = new EventPublisher(bus);
      // Published many at a time: the consumer, not the producer, is measured.
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
    },
  };
}

/** What a run submits: `count` jobs for `tenantId`, through the bus or the service's HTTP API. */
interface Workload {
  count: number;
  submit(target: { bus: EventBus; baseUrl: string; apiKey: string; tenantId: string }): Promise<void>;
  /** What a document id stands for (a sample file's name), to say which inputs were rejected. */
  label?(documentId: string): string;
}

async function measure(
  bus: EventBus,
  embedder: Embedder,
  policyAddress: string,
  batchSize: number,
  workload: Workload,
  /** Places a new consumer group at the end of the log: what others published before is not measured. */
  pinGroup?: (groupId: string) => Promise<void>,
): Promise<RunFigures> {
  const directory = mkdtempSync(join(tmpdir(), 'keel-bench-ingest-'));
  const store = createEmbeddedDocumentStore({ path: join(directory, 'ingestion.db') });
  const vectors = await createEmbeddedVectorIndex({ directory: join(directory, 'vectors') });
  const group = `bench-ingestion-${randomUUID()}`;
  await pinGroup?.(group);
  const tenantId = `bench${randomUUID().slice(0, 8)}`;
  const service = await startIngestionService(
    { bus, store, vectors, embedder, logger: createLogger('ingestion', { level: 'warn' }) },
    loadIngestionConfig({
      HTTP_PORT: '0',
      // The key's tenant is the run's own, so uploads and outcome events match it.
      KEEL_API_KEYS: `bench-key=${tenantId}`,
      KEEL_INTERNAL_TOKEN: internalToken,
      POLICY_ADDRESS: policyAddress,
      INGEST_CONSUMER_GROUP: group,
      INGEST_BATCH_SIZE: String(batchSize),
    }),
  );
  let indexed = 0;
  let rejected = 0;
  let chunks = 0;
  const rejections = new Map<string, number>();
  const rejectedInputs = new Set<string>();
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const outcome = (kind: 'indexed' | 'rejected', chunkCount: number) => {
    if (kind === 'indexed') indexed += 1;
    else rejected += 1;
    chunks += chunkCount;
    if (indexed + rejected === workload.count) resolveDone();
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
        if (event.payload.tenantId !== tenantId) return;
        rejections.set(event.payload.code, (rejections.get(event.payload.code) ?? 0) + 1);
        const label = workload.label?.(event.payload.documentId);
        if (label) rejectedInputs.add(`${label}: ${event.payload.code} (${event.payload.reason.slice(0, 120)})`);
        outcome('rejected', 0);
      },
    }),
  ]);
  try {
    const startedAt = performance.now();
    await workload.submit({ bus, baseUrl: String(service.urls.http), apiKey: 'bench-key', tenantId });
    const submittedSeconds = (performance.now() - startedAt) / 1000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`only ${indexed + rejected} of ${workload.count} finished in time`)),
          settings.timeoutMs,
        );
      }),
    ]);
    clearTimeout(timer);
    const seconds = (performance.now() - startedAt) / 1000;
    return {
      seconds,
      submittedSeconds,
      documents: indexed,
      chunks,
      rejected,
      rejections: [...rejections].map(([code, count]) => `${code} ×${count}`).join(', '),
      rejectedInputs: [...rejectedInputs].sort(),
      rssMb: memorySnapshot().rssMb,
    };
  } finally {
    await Promise.all(watchers.map((watcher) => watcher.stop()));
    await service.stop();
    await store.close();
    await vectors.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The fake policy server knows only the test token: both sides use it. */
export const internalToken = testInternalToken;

/**
 * The real policy service in this process, on its embedded defaults. While it cannot be loaded
 * (another change in progress), a gRPC server that allows everything stands in, and the note says so.
 */
export async function startPolicy(notes: string[]): Promise<{ address: string; close(): Promise<void> }> {
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

function figuresRow(bus: string, subject: Subject, figures: RunFigures): Row {
  const docsPerSec = figures.documents / figures.seconds;
  const targeted = bus === 'kafka' && subject.targeted;
  return {
    bus,
    subject: subject.name,
    mode: subject.mode,
    indexed: figures.documents,
    rejected: figures.rejected,
    chunks: figures.chunks,
    'accepted s': figures.submittedSeconds,
    seconds: figures.seconds,
    'docs/s': docsPerSec,
    'jobs/s': (figures.documents + figures.rejected) / figures.seconds,
    'chunks/s': figures.chunks / figures.seconds,
    target: targeted ? `>= ${TARGET_DOCS_PER_SEC} docs/s` : undefined,
    met: targeted ? String(docsPerSec >= TARGET_DOCS_PER_SEC) : undefined,
    'rss MB': figures.rssMb,
    rejections: figures.rejections || undefined,
  };
}

interface Subject {
  name: string;
  mode: string;
  batchSize: number;
  workload: Workload;
  /** The target (200 docs/s through Kafka) is about this subject. */
  targeted: boolean;
}

export const ingestionThroughputBenchmark: Benchmark = {
  name: 'ingestion-throughput',
  description:
    'documents/s and chunks/s end to end (policy Scan, parse, embed, index): 1-2 KB text per-document vs batched, and uploaded PDF+DOCX files',
  async run(): Promise<BenchmarkReport> {
    const documents = benchmarkDocuments(settings.documents);
    const files = sampleFiles();
    const notes: string[] = [];
    const rows: Row[] = [];
    const policy = await startPolicy(notes);
    const policyAddress = policy.address;
    const embedder = await chooseEmbedder({});
    const text = textWorkload(documents);
    const batched = `batched (${settings.batchSize})`;
    let subjects: Subject[] = [
      { name: 'text 1-2 KB', mode: 'per-document (baseline)', batchSize: 1, workload: text, targeted: false },
      { name: 'text 1-2 KB', mode: batched, batchSize: settings.batchSize, workload: text, targeted: true },
      {
        name: 'PDF+DOCX upload',
        mode: batched,
        batchSize: settings.batchSize,
        workload: filesWorkload(files, fileSettings.files),
        targeted: false,
      },
    ];
    // BENCH_INGEST_MODES=batched measures one mode alone (for profiling); BENCH_INGEST_SUBJECTS=files one subject.
    const onlyMode = process.env.BENCH_INGEST_MODES;
    if (onlyMode) subjects = subjects.filter((subject) => subject.mode.startsWith(onlyMode));
    const onlySubject = process.env.BENCH_INGEST_SUBJECTS;
    if (onlySubject === 'text') subjects = subjects.filter((subject) => subject.workload === text);
    if (onlySubject === 'files') subjects = subjects.filter((subject) => subject.workload !== text);
    try {
      // A bus of its own per subject: a new group reads its log from the beginning.
      for (const subject of subjects) {
        const busDir = mkdtempSync(join(tmpdir(), 'keel-bench-bus-'));
        const embedded = createEmbeddedEventBus({ path: join(busDir, 'event-bus.db') });
        try {
          await ensureKeelTopics(embedded);
          const figures = await measure(embedded, embedder, policyAddress, subject.batchSize, subject.workload);
          rows.push(figuresRow('embedded', subject, figures));
          for (const input of figures.rejectedInputs) notes.push(`rejected (embedded, ${subject.name}): ${input}`);
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
          for (const subject of subjects) {
            rows.push(
              figuresRow(
                'kafka',
                subject,
                await measure(bus, embedder, policyAddress, subject.batchSize, subject.workload, pinGroup),
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
        ...fileSettings,
        averageBytes: Math.round(documents.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / documents.length),
        sampleFiles: files.map((file) => `${file.name} (${file.bytes.length} B)`).join(', '),
      },
      tables: [{ title: 'end to end, first submission to the last outcome event', rows }],
      notes,
    };
  },
};
