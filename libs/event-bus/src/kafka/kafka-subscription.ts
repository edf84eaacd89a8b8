/**
 * One `subscribe()` on Kafka: a kafkajs consumer with manual commits, feeding the shared
 * delivery logic one message at a time per partition.
 *
 * Two kafkajs behaviours shape it:
 * - `consumer.commitOffsets()` is silently skipped once the consumer is stopping, so a commit
 *   made by an in-flight handler during `disconnect()` would be lost. `stop()` therefore pauses
 *   fetching, waits for in-flight deliveries (and their commits) while the consumer still runs,
 *   and only then disconnects.
 * - For a group without committed offsets kafkajs resolves "latest" lazily, at its first fetch,
 *   so a message published right after `run()` could fall before that position and be skipped.
 *   With `fromBeginning: false` the start position is pinned (committed) before subscribe resolves.
 */
import type { Admin, Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { DeadLetterPublishError, type DeliveryOutcome, deliverMessage } from '../delivery/deliver-message.js';
import type { MessageHandler, OutgoingMessage, RetryPolicy, SubscribeOptions, Subscription } from '../event-bus.js';
import type { EventBusLogger } from '../logger.js';
import { toKafkaError } from './kafka-errors.js';
import { nextOffset, toIncomingMessage } from './kafka-messages.js';

export interface KafkaSubscriptionContext {
  kafka: Kafka;
  brokers: readonly string[];
  logger: EventBusLogger;
  publishDeadLetter(topic: string, message: OutgoingMessage): Promise<void>;
  admin(): Promise<Admin>;
  joinTimeoutMs: number;
}

/** Partitions one consumer works on at once; order within each partition is kept regardless. */
const partitionsConsumedConcurrently = 3;

type Assignment = Record<string, number[]>;

export class KafkaSubscription implements Subscription {
  /** Set when the consumer stopped for good on its own (it could not dead-letter a message). */
  failure: unknown;
  readonly #consumer: Consumer;
  readonly #controller = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  #stopping: Promise<void> | undefined;

  private constructor(
    private readonly context: KafkaSubscriptionContext,
    readonly groupId: string,
    readonly topics: readonly string[],
    private readonly handler: MessageHandler,
    private readonly policy: RetryPolicy,
  ) {
    this.#consumer = context.kafka.consumer({
      groupId,
      allowAutoTopicCreation: true,
      // kafkajs notices a rebalance only when it heartbeats between fetches: both short, so a
      // joining member waits about a second for the others rather than the 3 s + 5 s defaults.
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 500,
    });
  }

  static async start(
    context: KafkaSubscriptionContext,
    options: SubscribeOptions,
    policy: RetryPolicy,
  ): Promise<KafkaSubscription> {
    const subscription = new KafkaSubscription(context, options.groupId, [...options.topics], options.handler, policy);
    await subscription.#start(options.fromBeginning ?? true);
    return subscription;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#drainAndDisconnect();
    return this.#stopping;
  }

  async #start(fromBeginning: boolean): Promise<void> {
    const consumer = this.#consumer;
    const joined = this.#waitForJoin();
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#stopping || payload.restart) return;
      this.failure ??= payload.error;
      this.context.logger.error(
        { err: payload.error, group: this.groupId, topics: this.topics },
        'Kafka consumer stopped; its uncommitted messages go to the next member of the group',
      );
    });
    try {
      await consumer.connect();
      await this.#subscribeToTopics(fromBeginning);
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently,
        eachMessage: (payload) => this.#track(this.#eachMessage(payload)),
      });
      const assignment = await joined.promise;
      if (!fromBeginning) await this.#pinStartOffsets(assignment);
    } catch (error) {
      joined.cancel();
      await consumer.disconnect().catch(() => {});
      throw toKafkaError(this.context.brokers, error);
    }
  }

  /**
   * A broker with auto-create on creates a missing topic in the background and answers the first
   * metadata request with UNKNOWN_TOPIC_OR_PARTITION; kafkajs's `subscribe()` does not retry that.
   */
  async #subscribeToTopics(fromBeginning: boolean): Promise<void> {
    const attempts = 10;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#consumer.subscribe({ topics: [...this.topics], fromBeginning });
        return;
      } catch (error) {
        const type = (error as { type?: unknown }).type;
        const topicPending = type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE';
        if (!topicPending) throw error;
        if (attempt === attempts) {
          throw new Error(
            `topics ${this.topics.join(',')} do not exist and the broker did not create them; ` +
              'create them first (ensureTopics / ensureKeelTopics)',
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1_000)));
      }
    }
  }

  async #eachMessage({ topic, partition, message }: EachMessagePayload): Promise<void> {
    // Stopping: leave the rest of the fetched batch uncommitted for the next owner.
    if (this.#controller.signal.aborted) return;
    let outcome: DeliveryOutcome;
    try {
      outcome = await deliverMessage({
        message: toIncomingMessage(topic, partition, message),
        handler: this.handler,
        policy: this.policy,
        groupId: this.groupId,
        publishDeadLetter: this.context.publishDeadLetter,
        signal: this.#controller.signal,
        logger: this.context.logger,
      });
    } catch (error) {
      if (!(error instanceof DeadLetterPublishError)) throw error;
      this.failure = error;
      // `retriable: false` makes kafkajs crash the consumer without restarting it, uncommitted.
      throw Object.assign(new Error(error.message, { cause: error }), { retriable: false });
    }
    if (outcome.kind === 'abandoned') return;
    await this.#consumer.commitOffsets([{ topic, partition, offset: nextOffset(message.offset) }]);
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    const forget = () => this.#inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  async #drainAndDisconnect(): Promise<void> {
    this.#controller.abort();
    try {
      this.#consumer.pause(this.topics.map((topic) => ({ topic })));
    } catch {
      // Not running (never started, or crashed): nothing to pause.
    }
    await Promise.allSettled([...this.#inFlight]);
    await this.#consumer.disconnect();
  }

  #waitForJoin(): { promise: Promise<Assignment>; cancel(): void } {
    const consumer = this.#consumer;
    const listeners: (() => void)[] = [];
    let timer: NodeJS.Timeout | undefined;
    const cancel = () => {
      clearTimeout(timer);
      for (const remove of listeners.splice(0)) remove();
    };
    const promise = new Promise<Assignment>((resolve, reject) => {
      listeners.push(
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
          cancel();
          resolve(payload.memberAssignment);
        }),
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          cancel();
          reject(payload.error);
        }),
      );
      timer = setTimeout(() => {
        cancel();
        reject(
          new Error(
            `consumer group ${this.groupId} did not join within ${this.context.joinTimeoutMs} ms ` +
              `(Kafka at ${this.context.brokers.join(',')})`,
          ),
        );
      }, this.context.joinTimeoutMs);
    });
    return { promise, cancel };
  }

  /** Commits the log-end offset of each assigned partition the group has no offset for yet. */
  async #pinStartOffsets(assignment: Assignment): Promise<void> {
    const admin = await this.context.admin();
    const pins: { topic: string; partition: number; offset: string }[] = [];
    for (const [topic, partitions] of Object.entries(assignment)) {
      if (partitions.length === 0) continue;
      const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      for (const partition of partitions) {
        const offset = committed?.partitions.find((entry) => entry.partition === partition)?.offset;
        if (offset !== undefined && BigInt(offset) >= 0n) continue;
        const end = ends.find((entry) => entry.partition === partition)?.high;
        if (end !== undefined) pins.push({ topic, partition, offset: end });
      }
    }
    if (pins.length > 0) await this.#consumer.commitOffsets(pins);
  }
}
