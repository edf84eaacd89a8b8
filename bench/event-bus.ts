/**
 * Publish and consume throughput and publish-to-handler latency of the embedded EventBus and
 * the Kafka adapter, with a raw kafkajs producer/consumer as the baseline that shows what the
 * adapter adds (the delivery wrapper, batched background commits) over the client library itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBus } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createKafkaEventBus } from '@keel/event-bus/kafka';
import { findKafka } from '@keel/testing';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import {
  type Benchmark,
  type BenchmarkReport,
  elapsedSince,
  integerSetting,
  latencyRow,
  memoryRow,
  memorySnapshot,
  type Row,
  seededRandom,
  skippedRow,
  summarize,
  timeEach,
} from './harness.js';

const settings = {
  messages: integerSetting('BENCH_EVENTS', 10_000),
  messageBytes: 1_024,
  partitions: 3,
  publishBatch: 100,
  keys: 100,
  /** Messages sent one at a time, each awaited in the handler before the next. */
  pingMessages: integerSetting('BENCH_EVENTS_PING', 200),
  warmup: 20,
  seed: 7,
};

/** Sending within the run's timing; both headers travel with every message. */
const sentAtHeader = 'bench-sent-at';
const sequenceHeader = 'bench-seq';

interface OutMessage {
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
}

/** What a subject must offer; the measurement code is the same for all of them. */
interface Transport {
  publish(messages: OutMessage[]): Promise<void>;
  /** Resolves once the consumer holds its partitions. */
  subscribe(onMessage: (headers: Record<string, string>) => void): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

interface Subject {
  name: string;
  /** Its topics and group live on the shared Kafka and are deleted after the run. */
  onKafka: boolean;
  open(topic: string, groupId: string): Promise<Transport>;
}

export const eventBusBenchmark: Benchmark = {
  name: 'event-bus',
  description: `embedded bus (in memory and durable) vs Kafka adapter vs raw kafkajs: ${settings.messages} messages of 1 KB, 3 partitions`,
  run: async () => {
    const report: BenchmarkReport = { config: { ...settings }, tables: [], notes: [] };
    const rows: Row[] = [];
    const memory: Row[] = [];
    const kafka = await findKafka();
    const runId = Date.now().toString(36);
    const subjects: (Subject | { name: string; skipped: string })[] = [
      { name: 'embedded bus', onKafka: false, open: openEmbedded },
      { name: 'embedded bus, durable (SQLite)', onKafka: false, open: openDurableEmbedded },
    ];
    if (kafka.available) {
      const { brokers } = kafka.endpoint;
      subjects.push(
        { name: 'Kafka adapter', onKafka: true, open: (topic, group) => openKafkaAdapter(brokers, topic, group) },
        { name: 'baseline: raw kafkajs', onKafka: true, open: (topic, group) => openRawKafka(brokers, topic, group) },
      );
      report.config.kafka = `${brokers.join(',')} (${kafka.endpoint.source})`;
    } else {
      for (const name of ['Kafka adapter', 'baseline: raw kafkajs']) subjects.push({ name, skipped: kafka.reason });
      report.notes.push(`Kafka skipped: ${kafka.reason}`);
    }
    const createdTopics: string[] = [];
    const createdGroups: string[] = [];
    try {
      for (const [position, subject] of subjects.entries()) {
        if ('skipped' in subject) {
          rows.push(skippedRow(subject.name, subject.skipped));
          continue;
        }
        const topic = `keel.bench.events.${runId}.${position}`;
        const groupId = `keel-bench-${runId}-${position}`;
        if (subject.onKafka) {
          createdTopics.push(topic, `${topic}.dlq`);
          createdGroups.push(groupId);
        }
        const before = memorySnapshot();
        rows.push(...(await measureSubject(subject, topic, groupId)));
        memory.push(memoryRow(subject.name, 'after its run (transport closed)', before, memorySnapshot()));
      }
    } finally {
      if (kafka.available && createdGroups.length > 0) {
        await deleteKafkaLeftovers(kafka.endpoint.brokers, createdTopics, createdGroups);
      }
    }
    report.tables.push(
      { title: `Event bus: ${settings.messages} messages of ${settings.messageBytes} B, one consumer group`, rows },
      { title: 'Event bus: memory (after a full GC)', rows: memory },
    );
    return report;
  },
};

async function measureSubject(subject: Subject, topic: string, groupId: string): Promise<Row[]> {
  const random = seededRandom(settings.seed);
  const value = Uint8Array.from({ length: settings.messageBytes }, () => Math.floor(random() * 256));
  const transport = await subject.open(topic, groupId);
  /** Sequence → publish-to-handler latency of its first delivery. */
  const latencyOf = new Map<number, number>();
  const waiters = new Map<number, () => void>();
  let deliveries = 0;
  let lastArrival = 0;
  const joinStarted = performance.now();
  const subscription = await transport.subscribe((headers) => {
    const now = performance.now();
    const sequence = Number(headers[sequenceHeader]);
    deliveries++;
    lastArrival = now;
    if (latencyOf.has(sequence)) return;
    latencyOf.set(sequence, now - Number(headers[sentAtHeader]));
    waiters.get(sequence)?.();
  });
  const joinMs = elapsedSince(joinStarted);
  const message = (sequence: number, sentAt: number): OutMessage => ({
    key: `key-${sequence % settings.keys}`,
    value,
    headers: { [sentAtHeader]: String(sentAt), [sequenceHeader]: String(sequence) },
  });
  const arrivalOf = (sequence: number) =>
    new Promise<void>((resolve) => {
      if (latencyOf.has(sequence)) resolve();
      else waiters.set(sequence, resolve);
    });
  const sequences = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

  try {
    // Throughput: every message published in batches as fast as acknowledgements allow, while
    // the consumer drains; the latencies include the queueing this load causes.
    const { messages, publishBatch } = settings;
    const allArrived = Promise.all(sequences(0, messages).map(arrivalOf));
    const publishStarted = performance.now();
    const publishes = await timeEach(Math.ceil(messages / publishBatch), 0, (b) => {
      const sentAt = performance.now();
      const first = b * publishBatch;
      const batch = sequences(first, Math.min(publishBatch, messages - first)).map((n) => message(n, sentAt));
      return transport.publish(batch);
    });
    const publishMs = elapsedSince(publishStarted);
    await withTimeout(allArrived, 120_000, `${subject.name}: not every message arrived`);
    const consumeMs = lastArrival - publishStarted;
    const loaded = summarize(
      sequences(0, messages).map((n) => latencyOf.get(n) as number),
      consumeMs,
    );

    // Latency without load: one message at a time, the next sent once the handler saw the last.
    const pingFrom = messages + settings.warmup;
    const acks = await timeEach(settings.pingMessages, settings.warmup, async (i) => {
      const sequence = pingFrom + i;
      const arrived = arrivalOf(sequence);
      await transport.publish([message(sequence, performance.now())]);
      await withTimeout(arrived, 30_000, `${subject.name}: message ${sequence} did not arrive`);
    });
    const unloaded = summarize(sequences(pingFrom, settings.pingMessages).map((n) => latencyOf.get(n) as number));
    const redelivered = deliveries - latencyOf.size;
    return [
      latencyRow(subject.name, `publish, batches of ${publishBatch}`, publishes.stats, {
        'ops/s': undefined,
        'msgs/s': (messages * 1000) / publishMs,
        note: `subscribe (group join) took ${joinMs.toFixed(0)} ms`,
      }),
      latencyRow(subject.name, 'publish → handler, all in flight', loaded, {
        'ops/s': undefined,
        'msgs/s': loaded.opsPerSec,
        note: `consume rate${redelivered > 0 ? `; ${redelivered} redeliveries` : ''}`,
      }),
      latencyRow(subject.name, 'publish → handler, one at a time', unloaded, {
        'ops/s': undefined,
        note: `publish ack + delivery: p50 ${acks.stats.p50Ms.toFixed(2)} ms per round`,
      }),
    ];
  } finally {
    await subscription.stop();
    await transport.close();
  }
}

// ---------------------------------------------------------------- subjects

function portTransport(bus: EventBus, topic: string, groupId: string): Transport {
  return {
    publish: (messages) => bus.publish(topic, messages),
    subscribe: (onMessage) =>
      bus.subscribe({
        groupId,
        topics: [topic],
        handler: async (message) => onMessage(message.headers),
      }),
    close: () => bus.close(),
  };
}

async function openEmbedded(topic: string, groupId: string): Promise<Transport> {
  const bus = createEmbeddedEventBus({ defaultPartitions: settings.partitions });
  await bus.ensureTopics([{ name: topic, partitions: settings.partitions }]);
  return portTransport(bus, topic, groupId);
}

/** The same bus with its log in a SQLite file (a temporary directory, deleted on close). */
async function openDurableEmbedded(topic: string, groupId: string): Promise<Transport> {
  const directory = mkdtempSync(join(tmpdir(), 'keel-bench-bus-'));
  const bus = createEmbeddedEventBus({ defaultPartitions: settings.partitions, path: join(directory, 'event-bus.db') });
  await bus.ensureTopics([{ name: topic, partitions: settings.partitions }]);
  const transport = portTransport(bus, topic, groupId);
  return {
    ...transport,
    close: async () => {
      await transport.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function openKafkaAdapter(brokers: string[], topic: string, groupId: string): Promise<Transport> {
  const bus = createKafkaEventBus({ brokers, clientId: 'keel-bench', defaultPartitions: settings.partitions });
  await bus.ensureTopics([{ name: topic, partitions: settings.partitions }]);
  return portTransport(bus, topic, groupId);
}

/**
 * kafkajs as an application would use it directly: the same producer settings as the adapter
 * (idempotent, acks from all replicas, one request in flight, murmur2) and the same fetch
 * tuning, but a consumer with kafkajs's default periodic auto-commit instead of the adapter's
 * own batched commits of handled offsets.
 */
async function openRawKafka(brokers: string[], topic: string, groupId: string): Promise<Transport> {
  const kafka = new Kafka({ clientId: 'keel-bench-raw', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: settings.partitions }] });
  await admin.disconnect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 });
  return {
    publish: async (messages) => {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((message) => ({ ...message, value: Buffer.from(message.value) })),
      });
    },
    subscribe: async (onMessage) => {
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: settings.partitions,
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [name, raw] of Object.entries(message.headers ?? {})) headers[name] = String(raw);
          onMessage(headers);
        },
      });
      await withTimeout(joined, 30_000, 'raw kafkajs consumer did not join its group');
      return { stop: () => consumer.disconnect() };
    },
    close: () => producer.disconnect(),
  };
}

/** Removes this run's topics and groups from the shared Kafka, so runs do not pile up. */
async function deleteKafkaLeftovers(brokers: string[], topics: string[], groups: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'keel-bench-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    await admin.deleteGroups(groups).catch(() => undefined);
    const ours = topics.filter((topic) => existing.has(topic));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------- waiting

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
