/**
 * One `subscribe()` on Kafka: a kafkajs consumer with manual, batched commits, feeding the shared
 * delivery logic one message at a time per partition. A finished message (handled or
 * dead-lettered) is reported to the OffsetCommitter, which commits in the background; the
 * consumer never waits for a commit between messages.
 *
 * Three kafkajs behaviours shape it:
 * - `consumer.commitOffsets()` is silently skipped once the consumer is stopping, so a commit
 *   made during `disconnect()` would be lost. `stop()` therefore pauses fetching, waits for
 *   in-flight deliveries while the consumer still runs, flushes the pending commits, and only
 *   then disconnects.
 * - With `autoCommit: false` kafkajs rejoins a rebalancing group without committing anything, and
 *   afterwards resumes every partition from its last committed offset. The batch loop heartbeats
 *   after each message and, when that reports a rebalance, flushes before kafkajs can rejoin. A
 *   rebalance kafkajs notices between batches starts a flush from its REBALANCING event instead,
 *   which kafkajs does not wait for; the commit still reaches the coordinator first in practice,
 *   because the rejoin begins with a coordinator lookup round trip. Should it lose that race, the
 *   coordinator refuses it (old generation) and the new owner delivers those messages again.
 *   Messages of a kept partition fetched again below this member's handled mark are skipped.
 * - For a group without committed offsets kafkajs resolves "latest" lazily, at its first fetch,
 *   so a message published right after `run()` could fall before that position and be skipped.
 *   With `fromBeginning: false` the start position is pinned (committed) before subscribe resolves.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { deliverBatch } from '../delivery/deliver-batch.js';
import { DeadLetterPublishError, type DeliveryOutcome, deliverMessage } from '../delivery/deliver-message.js';
import type {
  BatchDelivery,
  IncomingMessage,
  MessageHandler,
  OutgoingMessage,
  RetryPolicy,
  SubscribeOptions,
  Subscription,
} from '../event-bus.js';
import type { EventBusLogger } from '../logger.js';
import { toKafkaError } from './kafka-errors.js';
import { toIncomingMessage } from './kafka-messages.js';
import { type CommitPolicy, OffsetCommitter } from './offset-committer.js';
import { fetchTopicOffsets } from './topic-readiness.js';

export interface KafkaSubscriptionContext {
  kafka: Kafka;
  brokers: readonly string[];
  logger: EventBusLogger;
  publishDeadLetter(topic: string, message: OutgoingMessage): Promise<void>;
  admin(): Promise<Admin>;
  /** Runs work that waits for topics to come into being (kafkajs's lines about that go to debug). */
  whileTopicsSettle<T>(work: () => Promise<T>): Promise<T>;
  /** Resolves once every partition of the topics has a leader that serves it. */
  awaitTopicsServing(topics: readonly string[]): Promise<void>;
  joinTimeoutMs: number;
  commitPolicy: CommitPolicy;
}

/** Partitions one consumer works on at once; order within each partition is kept regardless. */
const partitionsConsumedConcurrently = 3;

type Assignment = Record<string, number[]>;

export class KafkaSubscription implements Subscription {
  /** Set when the consumer stopped for good on its own (it could not dead-letter a message). */
  failure: unknown;
  readonly #consumer: Consumer;
  readonly #offsets: OffsetCommitter;
  /** Aborted on stop() and on failure: backoffs end, batch loops stop taking messages. */
  readonly #controller = new AbortController();
  readonly #batches = new Set<Promise<unknown>>();
  #stopping: Promise<void> | undefined;

  private constructor(
    private readonly context: KafkaSubscriptionContext,
    readonly groupId: string,
    readonly topics: readonly string[],
    private readonly handler: MessageHandler,
    private readonly policy: RetryPolicy,
    private readonly batchDelivery?: BatchDelivery,
  ) {
    this.#consumer = context.kafka.consumer({
      groupId,
      allowAutoTopicCreation: true,
      // kafkajs notices a rebalance only when it heartbeats between fetches: both short, so a
      // joining member waits about a second for the others rather than the 3 s + 5 s defaults.
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 500,
    });
    this.#offsets = new OffsetCommitter({
      policy: context.commitPolicy,
      commit: (offsets) => this.#consumer.commitOffsets(offsets),
      logger: context.logger,
      groupId,
    });
  }

  static async start(
    context: KafkaSubscriptionContext,
    options: SubscribeOptions,
    policy: RetryPolicy,
  ): Promise<KafkaSubscription> {
    const subscription = new KafkaSubscription(
      context,
      options.groupId,
      [...options.topics],
      options.handler,
      policy,
      options.batch,
    );
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
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#offsets.joined(payload.memberId, payload.memberAssignment);
    });
    // Emitted just before kafkajs rejoins, without waiting for listeners: this commit races the
    // rejoin's coordinator lookup. Losing costs redeliveries, never a message: it carries the old
    // generation, which the coordinator refuses once the rebalance has moved on.
    consumer.on(consumer.events.REBALANCING, () => {
      void this.#offsets.flush();
    });
    try {
      await consumer.connect();
      // A topic created a moment ago (by this broker's auto-create, or by another service) may
      // not be served yet: the first fetch and the start-offset lookup below would fail.
      await this.context.whileTopicsSettle(async () => {
        await this.#subscribeToTopics(fromBeginning);
        await this.context.awaitTopicsServing(this.topics);
      });
      await consumer.run({
        autoCommit: false,
        // Offsets are resolved message by message below, and only once a message is finished.
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently,
        eachBatch: (payload) => this.#track(this.#eachBatch(payload)),
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

  /** One fetched batch of one partition, in order; kafkajs never runs two batches of a partition at once. */
  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const signal = this.#controller.signal;
    try {
      if (this.batchDelivery) {
        await this.#eachBatchTogether(
          batch.topic,
          batch.partition,
          batch.messages,
          resolveOffset,
          heartbeat,
          isRunning,
        );
        return;
      }
      for (const message of batch.messages) {
        // Stopping: leave the rest of the batch uncommitted for the next owner.
        if (signal.aborted || !isRunning()) break;
        if (!this.#offsets.wasHandled(topic, partition, message.offset)) {
          const outcome = await this.#deliver(topic, partition, message);
          if (outcome.kind === 'abandoned') break;
          this.#offsets.markHandled(topic, partition, message.offset);
        }
        // kafkajs fetches from the resolved offset next; the commit follows in the background.
        resolveOffset(message.offset);
        // Sent only when one is due. If it reports a rebalance, the catch below commits before
        // kafkajs rejoins: kafkajs waits for its batches to end first.
        await heartbeat();
      }
    } catch (error) {
      // A rebalance, or a message that could not be dead-lettered: commit what was finished while
      // this member still owns its partitions, then let kafkajs rejoin (or stop the consumer).
      await this.#offsets.flush();
      throw error;
    }
    // A failure elsewhere may crash the consumer as soon as the batches end: commit first.
    if (signal.aborted) await this.#offsets.flush();
  }

  /** The batch delivery: slices of the fetched batch go to the batch handler, each awaited in turn. */
  async #eachBatchTogether(
    topic: string,
    partition: number,
    fetched: KafkaMessage[],
    resolveOffset: (offset: string) => void,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const delivery = this.batchDelivery as BatchDelivery;
    const size = Math.max(1, delivery.maxMessages);
    const signal = this.#controller.signal;
    for (let start = 0; start < fetched.length; start += size) {
      if (signal.aborted || !isRunning()) return;
      const slice: IncomingMessage[] = [];
      for (const message of fetched.slice(start, start + size)) {
        // Already handled by this member before a rebalance fetched it again: only resolved.
        if (this.#offsets.wasHandled(topic, partition, message.offset)) resolveOffset(message.offset);
        else slice.push(toIncomingMessage(topic, partition, message));
      }
      if (slice.length === 0) continue;
      const result = await deliverBatch({
        messages: slice,
        handler: delivery.handler,
        deliverOne: (message) => this.#deliverIncoming(message),
        finished: (message) => {
          this.#offsets.markHandled(topic, partition, message.offset);
          resolveOffset(message.offset);
        },
        logger: this.context.logger,
        groupId: this.groupId,
      });
      if (result === 'abandoned') return;
      await heartbeat();
    }
  }

  #deliver(topic: string, partition: number, message: KafkaMessage): Promise<DeliveryOutcome> {
    return this.#deliverIncoming(toIncomingMessage(topic, partition, message));
  }

  async #deliverIncoming(message: IncomingMessage): Promise<DeliveryOutcome> {
    try {
      return await deliverMessage({
        message,
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
      // The other partitions stop too: this consumer is about to crash, and what they finish
      // until then is flushed on their way out.
      this.#controller.abort();
      // `retriable: false` makes kafkajs crash the consumer without restarting it; this message
      // stays uncommitted for the next member of the group.
      throw Object.assign(new Error(error.message, { cause: error }), { retriable: false });
    }
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#batches.add(work);
    const forget = () => this.#batches.delete(work);
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
    await Promise.allSettled([...this.#batches]);
    // While the consumer still runs: kafkajs drops commits once disconnect() has begun.
    await this.#offsets.close();
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
      const ends = await fetchTopicOffsets(admin, topic);
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
