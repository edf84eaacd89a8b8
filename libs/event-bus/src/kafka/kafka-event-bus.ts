/**
 * The EventBus on Apache Kafka (kafkajs 2.2.4): an idempotent producer with acks from all
 * in-sync replicas, consumers with manual, batched commits through the shared delivery logic, and
 * topics created with their `.dlq` twins. Connections open lazily, so composing a service
 * costs nothing; the first use fails within seconds, clearly, when the brokers are unreachable.
 */
import { deadLetterTopicOf } from '@keel/contracts';
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { resolveRetryPolicy } from '../delivery/retry-policy.js';
import type {
  EventBus,
  HealthReport,
  OutgoingMessage,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from '../event-bus.js';
import { type EventBusLogger, silentLogger } from '../logger.js';
import { assertValidTopicName } from '../topic-name.js';
import { KafkaUnavailableError, toKafkaError } from './kafka-errors.js';
import { kafkaLogCreator } from './kafka-log-creator.js';
import { toKafkaMessage } from './kafka-messages.js';
import { KafkaSubscription } from './kafka-subscription.js';
import { type CommitPolicy, resolveCommitPolicy } from './offset-committer.js';
import { TopicSettling, waitUntilTopicsServe } from './topic-readiness.js';

export interface KafkaEventBusOptions {
  brokers: string[];
  clientId: string;
  /** Receives kafkajs's warnings and errors and the bus's own lines; silent when omitted. */
  logger?: EventBusLogger;
  /** Partitions for a topic created by `ensureTopics` without a count; default 3. */
  defaultPartitions?: number;
  /** How long `subscribe` waits for the consumer to join its group; default 30 s. */
  joinTimeoutMs?: number;
  /**
   * Longest time a finished (handled or dead-lettered) message waits for its offset commit;
   * default 500 ms. Commits run in the background; a crash redelivers what was not committed yet.
   */
  commitIntervalMs?: number;
  /** Commit at once when this many finished messages wait, whatever the interval; default 500. */
  commitEveryMessages?: number;
}

/** How long `health()` waits for the cluster, and how long its answer is reused. */
const healthTimeoutMs = 2_000;
const healthCacheMs = 2_000;

export function createKafkaEventBus(options: KafkaEventBusOptions): EventBus {
  if (options.brokers.length === 0) throw new TypeError('createKafkaEventBus needs at least one broker');
  return new KafkaEventBus(options);
}

/** A connection opened on first use and shared; a failed attempt is forgotten so the next use retries. */
class LazyConnection<T> {
  #pending: Promise<T> | undefined;
  constructor(private readonly open: () => Promise<T>) {}
  get(): Promise<T> {
    this.#pending ??= this.open().catch((error: unknown) => {
      this.#pending = undefined;
      throw error;
    });
    return this.#pending;
  }
  get opened(): Promise<T> | undefined {
    return this.#pending;
  }
}

class KafkaEventBus implements EventBus {
  readonly #kafka: Kafka;
  readonly #brokers: readonly string[];
  readonly #logger: EventBusLogger;
  readonly #defaultPartitions: number;
  readonly #joinTimeoutMs: number;
  readonly #commitPolicy: CommitPolicy;
  readonly #producer: LazyConnection<Producer>;
  readonly #admin: LazyConnection<Admin>;
  readonly #subscriptions = new Set<KafkaSubscription>();
  /** Work that waits for topics to come into being; kafkajs's lines about that go to debug. */
  readonly #settling = new TopicSettling();
  /** Topics this bus has published to: a first publish may have to wait for the topic's creation. */
  readonly #publishedTopics = new Set<string>();
  #health: { at: number; report: Promise<HealthReport> } | undefined;
  #closed = false;

  constructor(options: KafkaEventBusOptions) {
    this.#brokers = [...options.brokers];
    this.#logger = options.logger ?? silentLogger;
    this.#defaultPartitions = options.defaultPartitions ?? 3;
    this.#joinTimeoutMs = options.joinTimeoutMs ?? 30_000;
    this.#commitPolicy = resolveCommitPolicy({
      intervalMs: options.commitIntervalMs,
      everyMessages: options.commitEveryMessages,
    });
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: this.#brokers as string[],
      connectionTimeout: 3_000,
      // About 4 s of attempts before an unreachable cluster is reported, rather than kafkajs's
      // default of retrying for most of a minute.
      retry: { initialRetryTime: 250, maxRetryTime: 2_000, retries: 4 },
      logLevel: options.logger ? logLevel.WARN : logLevel.NOTHING,
      logCreator: kafkaLogCreator(this.#logger, this.#settling),
    });
    this.#producer = new LazyConnection(async () => {
      const producer = this.#kafka.producer({
        idempotent: true,
        // kafkajs tracks idempotence sequence numbers per partition without reordering on retry:
        // one request in flight per broker keeps them gapless (KIP-98's original rule).
        maxInFlightRequests: 1,
        // Kafka's murmur2 partitioner, named explicitly (which also silences kafkajs's v2 notice);
        // the embedded bus uses the same function.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await this.#connect(() => producer.connect());
      return producer;
    });
    this.#admin = new LazyConnection(async () => {
      const admin = this.#kafka.admin();
      await this.#connect(() => admin.connect());
      return admin;
    });
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.#assertOpen();
    await this.#send(topic, messages);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.#assertOpen();
    if (!options.groupId) throw new TypeError('subscribe needs a groupId');
    if (options.topics.length === 0) throw new TypeError('subscribe needs at least one topic');
    for (const topic of options.topics) assertValidTopicName(topic);
    const policy = resolveRetryPolicy(options.retry);
    const subscription = await KafkaSubscription.start(
      {
        kafka: this.#kafka,
        brokers: this.#brokers,
        logger: this.#logger,
        // Dead letters bypass the closed check: in-flight deliveries finish while the bus closes.
        publishDeadLetter: (topic, message) => this.#send(topic, [message]),
        admin: () => this.#admin.get(),
        whileTopicsSettle: (work) => this.#settling.during(work),
        awaitTopicsServing: async (topics) => waitUntilTopicsServe(await this.#admin.get(), topics),
        joinTimeoutMs: this.#joinTimeoutMs,
        commitPolicy: this.#commitPolicy,
      },
      options,
      policy,
    );
    this.#subscriptions.add(subscription);
    const stop = subscription.stop.bind(subscription);
    return {
      stop: async () => {
        try {
          await stop();
        } finally {
          this.#subscriptions.delete(subscription);
        }
      },
    };
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    this.#assertOpen();
    const wanted = new Map<string, number>();
    for (const spec of topics) {
      const partitions = spec.partitions ?? this.#defaultPartitions;
      wanted.set(spec.name, partitions);
      wanted.set(deadLetterTopicOf(spec.name), partitions);
    }
    for (const name of wanted.keys()) assertValidTopicName(name);
    const admin = await this.#admin.get();
    try {
      await this.#settling.during(async () => {
        // Only the missing ones: asking to create existing topics makes kafkajs log an ERROR line
        // at every service start. A topic created by someone else in between is still fine:
        // createTopics ignores "already exists".
        const existing = new Set(await admin.listTopics());
        const missing = [...wanted].filter(([topic]) => !existing.has(topic));
        if (missing.length > 0) {
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map(([topic, numPartitions]) => ({ topic, numPartitions })),
          });
        }
        // kafkajs skips its leader wait when some of the topics existed already (another service
        // may be creating them right now), and its wait ends before the leaders serve: this one
        // lasts until every partition answers, so a publish or subscribe never races the election.
        await waitUntilTopicsServe(admin, [...wanted.keys()]);
      });
    } catch (error) {
      throw toKafkaError(this.#brokers, error);
    }
  }

  health(): Promise<HealthReport> {
    if (this.#closed) return Promise.resolve({ ok: false, detail: 'Kafka event bus is closed' });
    const failed = [...this.#subscriptions].filter((subscription) => subscription.failure !== undefined);
    if (failed.length > 0) {
      const detail = failed
        .map((s) => `group ${s.groupId} on ${s.topics.join(',')} stopped: ${messageOf(s.failure)}`)
        .join('; ');
      return Promise.resolve({ ok: false, detail });
    }
    const now = Date.now();
    if (!this.#health || now - this.#health.at > healthCacheMs) {
      this.#health = { at: now, report: this.#probeCluster() };
    }
    return this.#health.report;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#subscriptions].map((subscription) => subscription.stop()));
    this.#subscriptions.clear();
    const producer = await this.#producer.opened?.catch(() => undefined);
    const admin = await this.#admin.opened?.catch(() => undefined);
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
  }

  async #send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    assertValidTopicName(topic);
    if (messages.length === 0) return;
    const producer = await this.#producer.get();
    const send = () => producer.send({ topic, acks: -1, messages: messages.map(toKafkaMessage) });
    try {
      if (this.#publishedTopics.has(topic)) {
        await send();
      } else {
        // The first publish may be what creates the topic (a broker with auto-create): kafkajs
        // retries until its leader serves, and its lines about that are expected.
        await this.#settling.during(send);
        this.#publishedTopics.add(topic);
      }
    } catch (error) {
      throw toKafkaError(this.#brokers, error);
    }
  }

  async #probeCluster(): Promise<HealthReport> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${healthTimeoutMs} ms`)), healthTimeoutMs);
    });
    try {
      const cluster = await Promise.race([this.#admin.get().then((admin) => admin.describeCluster()), timeout]);
      return {
        ok: true,
        detail: `Kafka at ${this.#brokers.join(',')}: ${cluster.brokers.length} broker(s), controller ${cluster.controller}`,
      };
    } catch (error) {
      return { ok: false, detail: new KafkaUnavailableError(this.#brokers, error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  async #connect(open: () => Promise<void>): Promise<void> {
    try {
      await open();
    } catch (error) {
      // Failing to connect at all means unreachable, whatever kafkajs called the error.
      throw error instanceof KafkaUnavailableError ? error : new KafkaUnavailableError(this.#brokers, error);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the Kafka event bus is closed');
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
