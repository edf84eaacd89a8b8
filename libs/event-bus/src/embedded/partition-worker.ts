/**
 * Consumes one partition for one member of a consumer group: strictly one message at a time,
 * from the group's committed offset, committing each message once the shared delivery logic
 * has handled or dead-lettered it. The group starts and stops workers as members come and go;
 * at most one worker per group and partition exists, so a partition is never processed twice
 * at once and its order holds.
 */
import { deliverBatch } from '../delivery/deliver-batch.js';
import { type DeliveryOutcome, deliverMessage } from '../delivery/deliver-message.js';
import type { BatchDelivery, IncomingMessage, MessageHandler, OutgoingMessage, RetryPolicy } from '../event-bus.js';
import type { EventBusLogger } from '../logger.js';
import type { PartitionLog, StoredMessage } from './partition-log.js';

export interface GroupMember {
  readonly topics: readonly string[];
  readonly handler: MessageHandler;
  readonly policy: RetryPolicy;
  readonly fromBeginning: boolean;
  readonly batch?: BatchDelivery;
  /** A worker of this member stopped because a message could not be dead-lettered. */
  fail(error: unknown): void;
}

export interface WorkerContext {
  readonly groupId: string;
  readonly logger: EventBusLogger;
  publishDeadLetter(topic: string, message: OutgoingMessage): Promise<void>;
  committedOffset(topic: string, partition: number): number;
  commit(topic: string, partition: number, nextOffset: number): void;
}

export class PartitionWorker {
  readonly #controller = new AbortController();
  readonly #done: Promise<void>;

  constructor(
    readonly member: GroupMember,
    readonly topic: string,
    readonly partition: number,
    private readonly log: PartitionLog,
    private readonly context: WorkerContext,
  ) {
    this.#done = this.#run().catch((error: unknown) => {
      // Leaving the group from inside this promise would wait on itself: fail() only schedules it.
      this.member.fail(error);
    });
  }

  /** Ends any backoff, lets an in-flight handler finish and commit, then resolves. */
  stop(): Promise<void> {
    this.#controller.abort();
    return this.#done;
  }

  async #run(): Promise<void> {
    const signal = this.#controller.signal;
    // Never run a handler inside the caller's stack (subscribe or publish): always a later turn.
    await yieldToEventLoop();
    while (!signal.aborted) {
      const offset = this.context.committedOffset(this.topic, this.partition);
      if (offset < this.log.startOffset) {
        // Retention never deletes what a group with an offset has yet to read, so this takes an
        // offset from outside; Kafka's answer (auto.offset.reset) is to go on from the log start.
        this.context.logger.warn(
          {
            topic: this.topic,
            partition: this.partition,
            group: this.context.groupId,
            offset,
            logStart: this.log.startOffset,
          },
          'committed offset is below the start of the log; continuing from the log start',
        );
        this.context.commit(this.topic, this.partition, this.log.startOffset);
        continue;
      }
      const stored = this.log.at(offset);
      if (!stored) {
        await this.log.waitFor(offset, signal);
        continue;
      }
      if (this.member.batch) {
        if ((await this.#deliverBatch(this.member.batch, offset, signal)) === 'abandoned') return;
        await yieldToEventLoop();
        continue;
      }
      const outcome = await this.#deliver(stored, signal);
      if (outcome.kind === 'abandoned') return;
      this.context.commit(this.topic, this.partition, offset + 1);
      // A handler that resolves at once must not starve timers and I/O on a long backlog.
      await yieldToEventLoop();
    }
  }

  /** What the log holds from `offset` on, up to the batch size, handed over at once. */
  #deliverBatch(batch: BatchDelivery, offset: number, signal: AbortSignal): Promise<'done' | 'abandoned'> {
    const messages: IncomingMessage[] = [];
    for (let next = offset; messages.length < Math.max(1, batch.maxMessages); next++) {
      const stored = this.log.at(next);
      if (!stored) break;
      messages.push(this.#incoming(stored));
    }
    return deliverBatch({
      messages,
      handler: batch.handler,
      deliverOne: (message) => this.#deliverIncoming(message, signal),
      finished: (message) => this.context.commit(this.topic, this.partition, Number(message.offset) + 1),
      logger: this.context.logger,
      groupId: this.context.groupId,
    });
  }

  #deliver(stored: StoredMessage, signal: AbortSignal): Promise<DeliveryOutcome> {
    return this.#deliverIncoming(this.#incoming(stored), signal);
  }

  #incoming(stored: StoredMessage): IncomingMessage {
    return {
      topic: this.topic,
      partition: this.partition,
      offset: String(stored.offset),
      key: stored.key,
      // Copies: a handler that mutates its message must not change what other groups read.
      value: stored.value.slice(),
      headers: { ...stored.headers },
      timestamp: stored.timestamp,
    };
  }

  #deliverIncoming(message: IncomingMessage, signal: AbortSignal): Promise<DeliveryOutcome> {
    return deliverMessage({
      message,
      handler: this.member.handler,
      policy: this.member.policy,
      groupId: this.context.groupId,
      publishDeadLetter: (topic, letter) => this.context.publishDeadLetter(topic, letter),
      signal,
      logger: this.context.logger,
    });
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
