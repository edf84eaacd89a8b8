/**
 * The embedded EventBus: Kafka's model in one process, for running Keel on one machine with
 * no servers. Topics have partitions chosen by Kafka's murmur2 partitioner; each partition is an
 * ordered log with offsets; consumer groups commit offsets per partition and share partitions
 * among their members. Everything is in memory: it lives and dies with the process (no
 * retention, nothing survives a restart), which is what a single-process default needs.
 */
import { deadLetterTopicOf } from '@keel/contracts';
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
import { partitionForKey } from '../partitioning/murmur2.js';
import { assertValidTopicName } from '../topic-name.js';
import { ConsumerGroup } from './consumer-group.js';
import type { GroupMember } from './partition-worker.js';
import { TopicStore } from './topic-store.js';

export interface EmbeddedEventBusOptions {
  /** Partitions of a topic created implicitly or without a count; default 3. */
  defaultPartitions?: number;
  logger?: EventBusLogger;
}

export function createEmbeddedEventBus(options: EmbeddedEventBusOptions = {}): EventBus {
  return new EmbeddedEventBus(options.defaultPartitions ?? 3, options.logger ?? silentLogger);
}

interface EmbeddedSubscription extends Subscription {
  readonly groupId: string;
  readonly topics: readonly string[];
  failure?: unknown;
}

class EmbeddedEventBus implements EventBus {
  readonly #topics: TopicStore;
  readonly #groups = new Map<string, ConsumerGroup>();
  readonly #subscriptions = new Set<EmbeddedSubscription>();
  #closed = false;

  constructor(
    defaultPartitions: number,
    private readonly logger: EventBusLogger,
  ) {
    this.#topics = new TopicStore(defaultPartitions);
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.#assertOpen();
    this.#append(topic, messages);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.#assertOpen();
    if (!options.groupId) throw new TypeError('subscribe needs a groupId');
    if (options.topics.length === 0) throw new TypeError('subscribe needs at least one topic');
    // Subscribing creates missing topics, as Kafka does with auto-create on.
    for (const topic of options.topics) this.#topics.partitionsOf(topic);
    const policy = resolveRetryPolicy(options.retry);
    const group = this.#group(options.groupId);

    let stopping: Promise<void> | undefined;
    const subscription: EmbeddedSubscription = {
      groupId: options.groupId,
      topics: [...options.topics],
      stop: () => {
        stopping ??= group.leave(member).finally(() => {
          this.#subscriptions.delete(subscription);
        });
        return stopping;
      },
    };
    const member: GroupMember = {
      topics: subscription.topics,
      handler: options.handler,
      policy,
      fromBeginning: options.fromBeginning ?? true,
      fail: (error) => {
        if (subscription.failure !== undefined) return;
        subscription.failure = error;
        this.logger.error(
          { err: error, group: options.groupId, topics: subscription.topics },
          'subscription stopped: a message could not be handled or dead-lettered and stays uncommitted',
        );
        // Hand the partitions to the other members, as a crashed Kafka consumer would.
        void group.leave(member);
      },
    };
    this.#subscriptions.add(subscription);
    await group.join(member);
    return subscription;
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    this.#assertOpen();
    // All names first, so one bad name creates nothing.
    for (const spec of topics) {
      assertValidTopicName(spec.name);
      assertValidTopicName(deadLetterTopicOf(spec.name));
    }
    for (const spec of topics) {
      const partitions = spec.partitions ?? this.#topics.defaultPartitions;
      this.#topics.partitionsOf(spec.name, partitions);
      this.#topics.partitionsOf(deadLetterTopicOf(spec.name), partitions);
    }
  }

  async health(): Promise<HealthReport> {
    if (this.#closed) return { ok: false, detail: 'embedded event bus is closed' };
    const failed = [...this.#subscriptions].filter((subscription) => subscription.failure !== undefined);
    if (failed.length > 0) {
      const details = failed.map(
        (subscription) =>
          `group ${subscription.groupId} on ${subscription.topics.join(',')} stopped: ${describe(subscription.failure)}`,
      );
      return { ok: false, detail: details.join('; ') };
    }
    return {
      ok: true,
      detail: `embedded in-memory event bus: ${this.#topics.size} topics, ${this.#subscriptions.size} subscriptions`,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
  }

  /** Appends without the open check: in-flight deliveries may still dead-letter while closing. */
  #append(topic: string, messages: OutgoingMessage[]): void {
    const partitions = this.#topics.partitionsOf(topic);
    for (const message of messages) {
      if (typeof message.key !== 'string') throw new TypeError(`a message on ${topic} needs a string key`);
      if (!(message.value instanceof Uint8Array)) throw new TypeError(`a message on ${topic} needs a Uint8Array value`);
    }
    const timestamp = Date.now();
    for (const message of messages) {
      const partition = partitions[partitionForKey(message.key, partitions.length)];
      partition?.append({
        key: message.key,
        // Copies: the caller may reuse its buffer after publish resolves, as with a real broker.
        value: message.value.slice(),
        headers: { ...message.headers },
        timestamp,
      });
    }
  }

  #group(groupId: string): ConsumerGroup {
    let group = this.#groups.get(groupId);
    if (!group) {
      group = new ConsumerGroup(groupId, {
        topics: this.#topics,
        logger: this.logger,
        publishDeadLetter: async (topic, message) => this.#append(topic, [message]),
      });
      this.#groups.set(groupId, group);
    }
    return group;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the embedded event bus is closed');
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
