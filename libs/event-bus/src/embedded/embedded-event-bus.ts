/**
 * The embedded EventBus: Kafka's model in one process, for running Keel on one machine with
 * no servers. Topics have partitions chosen by Kafka's murmur2 partitioner; each partition is an
 * ordered log with offsets; consumer groups commit offsets per partition and share partitions
 * among their members.
 *
 * The log is served from memory. With `path` it is also durable: every topic, every appended
 * message and every committed offset is written to a SQLite file (`sqlite-event-log.ts`) before
 * `publish` resolves or the next message of the partition is delivered, and read back when a
 * bus opens the file again. A group then resumes at its last committed offset, so whatever was
 * published but not yet committed when the process stopped (or died) is delivered again:
 * at least once across restarts, as with Kafka. Retention (`retention.ts`) keeps the file and
 * the memory from growing forever. Without `path` it all lives and dies with the process, with
 * no retention unless asked for, as a test or a throwaway run wants.
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
import { CommittedOffsets } from './committed-offsets.js';
import { ConsumerGroup } from './consumer-group.js';
import { PartitionLog } from './partition-log.js';
import type { GroupMember } from './partition-worker.js';
import { decideTrim, type RetentionOptions, type RetentionPolicy, resolveRetention } from './retention.js';
import { type AppendedMessage, type RestoredLog, SqliteEventLog } from './sqlite-event-log.js';
import { TopicStore } from './topic-store.js';

export interface EmbeddedEventBusOptions {
  /** Partitions of a topic created implicitly or without a count; default 3. */
  defaultPartitions?: number;
  logger?: EventBusLogger;
  /**
   * A SQLite file that keeps topics, messages and committed offsets across restarts (created,
   * with its directories, if missing). One bus per file: a second one fails with
   * `EventLogInUseError`. Without it the bus is memory only.
   */
  path?: string;
  /**
   * What may be deleted from the log, and how often to look (see `retention.ts`). Default: on
   * with the defaults when `path` is set, off without it; `false` turns it off.
   */
  retention?: RetentionOptions | false;
}

/** Throws `EventLogInUseError` when another bus holds the file at `options.path`. */
export function createEmbeddedEventBus(options: EmbeddedEventBusOptions = {}): EventBus {
  const settings = {
    defaultPartitions: options.defaultPartitions ?? 3,
    logger: options.logger ?? silentLogger,
    retention:
      options.retention === false || (options.retention === undefined && options.path === undefined)
        ? undefined
        : resolveRetention(options.retention),
  };
  if (options.path === undefined) return new EmbeddedEventBus(settings);
  const { log, restored } = SqliteEventLog.open(options.path);
  try {
    return new EmbeddedEventBus({ ...settings, durable: { log, restored } });
  } catch (error) {
    log.close();
    throw error;
  }
}

interface BusSettings {
  defaultPartitions: number;
  logger: EventBusLogger;
  retention: RetentionPolicy | undefined;
  durable?: { log: SqliteEventLog; restored: RestoredLog };
}

/** setInterval's longest delay; a longer retention interval would fire at once, every time. */
const maxTimerDelayMs = 2 ** 31 - 1;

interface EmbeddedSubscription extends Subscription {
  readonly groupId: string;
  readonly topics: readonly string[];
  failure?: unknown;
}

class EmbeddedEventBus implements EventBus {
  readonly #topics: TopicStore;
  readonly #offsets: CommittedOffsets;
  readonly #groups = new Map<string, ConsumerGroup>();
  readonly #subscriptions = new Set<EmbeddedSubscription>();
  readonly #durable: SqliteEventLog | undefined;
  readonly #retention: RetentionPolicy | undefined;
  readonly #retentionTimer: NodeJS.Timeout | undefined;
  /** group@topic/partition of the groups whose offsets currently hold back retention (warned once). */
  readonly #holdingBack = new Set<string>();
  private readonly logger: EventBusLogger;
  #closed = false;

  constructor(settings: BusSettings) {
    this.logger = settings.logger;
    const durable = settings.durable?.log;
    this.#durable = durable;
    this.#topics = new TopicStore(
      settings.defaultPartitions,
      durable && ((topic, partitions) => durable.createTopic(topic, partitions)),
    );
    this.#offsets = new CommittedOffsets(
      durable && ((groupId, topic, partition, nextOffset) => durable.commit(groupId, topic, partition, nextOffset)),
    );
    if (settings.durable) this.#restore(settings.durable.restored);
    this.#retention = settings.retention;
    if (this.#retention) {
      this.#trim();
      const timer = setInterval(() => this.#trim(), Math.min(this.#retention.intervalMs, maxTimerDelayMs));
      timer.unref();
      this.#retentionTimer = timer;
    }
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
      ...(options.batch ? { batch: options.batch } : {}),
      fail: (error) => {
        if (subscription.failure !== undefined) return;
        subscription.failure = error;
        this.logger.error(
          { err: error, group: options.groupId, topics: subscription.topics },
          'subscription stopped: a message could not be handled or dead-lettered and stays uncommitted',
        );
        // Hand the partitions to the other members, as a crashed Kafka consumer would.
        group.leave(member).catch((leaveError: unknown) => {
          this.logger.error({ err: leaveError, group: options.groupId }, 'embedded consumer group rebalance failed');
        });
      },
    };
    this.#subscriptions.add(subscription);
    try {
      await group.join(member);
    } catch (error) {
      // Joining failed (the durable log could not record where the group starts): leave again.
      await subscription.stop().catch(() => undefined);
      throw error;
    }
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
    if (this.#durable && !this.#durable.isOpen) {
      return { ok: false, detail: `embedded event bus log ${this.#durable.path} is closed` };
    }
    const kind = this.#durable ? `durable event bus at ${this.#durable.path}` : 'in-memory event bus';
    return {
      ok: true,
      detail: `embedded ${kind}: ${this.#topics.size} topics, ${this.#subscriptions.size} subscriptions`,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#retentionTimer);
    // Draining commits the in-flight messages (to the file too) before the file closes.
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
    this.#durable?.close();
  }

  /**
   * Appends without the open check: in-flight deliveries may still dead-letter while closing.
   * The durable log is written first, in one transaction: if that fails, publish fails and
   * memory holds nothing the file does not.
   */
  #append(topic: string, messages: OutgoingMessage[]): void {
    const partitions = this.#topics.partitionsOf(topic);
    for (const message of messages) {
      if (typeof message.key !== 'string') throw new TypeError(`a message on ${topic} needs a string key`);
      if (!(message.value instanceof Uint8Array)) throw new TypeError(`a message on ${topic} needs a Uint8Array value`);
    }
    const timestamp = Date.now();
    const nextOffsets = new Map<number, number>();
    const appended = messages.map((message): AppendedMessage => {
      const partition = partitionForKey(message.key, partitions.length);
      const offset = nextOffsets.get(partition) ?? (partitions[partition] as PartitionLog).endOffset;
      nextOffsets.set(partition, offset + 1);
      return {
        topic,
        partition,
        message: {
          offset,
          key: message.key,
          // Copies: the caller may reuse its buffer after publish resolves, as with a real broker.
          value: message.value.slice(),
          headers: { ...message.headers },
          timestamp,
        },
      };
    });
    this.#durable?.append(appended);
    for (const { partition, message } of appended) partitions[partition]?.append(message);
  }

  #restore(restored: RestoredLog): void {
    for (const { name, partitions } of restored.topics) {
      const logs = partitions.map(({ startOffset, messages }, partition) => {
        try {
          return new PartitionLog(startOffset, messages);
        } catch (error) {
          throw new Error(
            `the embedded event bus log ${this.#durable?.path} is damaged: ${name}/${partition}: ${describe(error)}`,
          );
        }
      });
      this.#topics.restore(name, logs);
    }
    for (const { groupId, topic, partition, nextOffset } of restored.offsets) {
      this.#offsets.restore(groupId, topic, partition, nextOffset);
    }
    const messages = restored.topics.reduce(
      (sum, topic) => sum + topic.partitions.reduce((count, partition) => count + partition.messages.length, 0),
      0,
    );
    this.logger.info(
      { path: this.#durable?.path, topics: restored.topics.length, messages, offsets: restored.offsets.length },
      'embedded event bus log opened',
    );
  }

  /** One retention pass over every partition: the file first, in one transaction, then memory. */
  #trim(): void {
    const policy = this.#retention;
    if (!policy || this.#closed) return;
    try {
      const now = Date.now();
      const trims: { topic: string; partition: number; startOffset: number; log: PartitionLog }[] = [];
      const holdingBack = new Set<string>();
      for (const [topic, partitions] of this.#topics.entries()) {
        partitions.forEach((log, partition) => {
          const decision = decideTrim(log, this.#offsets.slowest(topic, partition), policy, now);
          if (decision.startOffset > log.startOffset) {
            trims.push({ topic, partition, startOffset: decision.startOffset, log });
          }
          const held = decision.heldBackBy;
          if (!held) return;
          const id = `${held.groupId}@${topic}/${partition}`;
          holdingBack.add(id);
          if (this.#holdingBack.has(id)) return;
          this.logger.warn(
            { group: held.groupId, topic, partition, committed: held.nextOffset, logEnd: log.endOffset },
            'retention keeps messages this consumer group has not handled yet: the group is far behind, or gone',
          );
        });
      }
      this.#holdingBack.clear();
      for (const id of holdingBack) this.#holdingBack.add(id);
      if (trims.length === 0) return;
      this.#durable?.trim(trims);
      let deleted = 0;
      for (const { log, startOffset } of trims) deleted += log.trimTo(startOffset);
      this.logger.debug({ partitions: trims.length, deleted }, 'embedded event bus retention deleted old messages');
    } catch (error) {
      // The next pass tries again; the log only grows in between.
      this.logger.error({ err: error }, 'embedded event bus retention failed');
    }
  }

  #group(groupId: string): ConsumerGroup {
    let group = this.#groups.get(groupId);
    if (!group) {
      group = new ConsumerGroup(groupId, {
        topics: this.#topics,
        offsets: this.#offsets,
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
