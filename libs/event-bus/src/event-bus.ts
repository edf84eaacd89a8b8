/**
 * The EventBus port: a partitioned, keyed log with consumer groups and committed offsets.
 * Services publish and consume raw bytes plus headers; the envelope (event id, type, tenant,
 * trace context) is applied by `@keel/contracts`' codec, so this port knows nothing of payloads.
 */

/** A message as a producer hands it over. */
export interface OutgoingMessage {
  /** The partition key: tenant and aggregate id, so one aggregate's events stay in order. */
  key: string;
  value: Uint8Array;
  headers?: Record<string, string>;
}

/** A message as a consumer receives it. */
export interface IncomingMessage {
  topic: string;
  partition: number;
  /** The message's offset in its partition, as a decimal string (Kafka offsets exceed 2^53). */
  offset: string;
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
  /** Milliseconds since the epoch, as stamped by the log. */
  timestamp: number;
}

export interface TopicSpec {
  name: string;
  partitions?: number;
}

/** How a subscription retries a failing handler before dead-lettering the message. */
export interface RetryPolicy {
  /** Total attempts including the first; default 5. */
  maxAttempts: number;
  /** First backoff in milliseconds; doubles each attempt with jitter; default 200. */
  initialBackoffMs: number;
  /** Upper bound of one backoff; default 5000. */
  maxBackoffMs: number;
}

export type MessageHandler = (message: IncomingMessage) => Promise<void>;

/**
 * Handles consecutive messages of one partition at once, in offset order. Resolves with the
 * messages it did not finish: each of those then goes through the subscription's `handler` alone,
 * with its retries and dead-lettering, in offset order; throwing means none was finished. A
 * handler that relies on per-key order returns, with a message it did not finish, the later
 * messages of the same key too (they would otherwise overtake it).
 */
export type BatchHandler = (messages: IncomingMessage[]) => Promise<IncomingMessage[]>;

export interface BatchDelivery {
  /** The most messages handed over at once (per partition); at least 1. */
  maxMessages: number;
  handler: BatchHandler;
}

export interface SubscribeOptions {
  /** Consumers sharing a group id share the partitions; each group sees every message. */
  groupId: string;
  topics: string[];
  handler: MessageHandler;
  /**
   * Where a group with no committed offset starts; default true (earliest). With false, the
   * group starts at the end of the log as of `subscribe()`.
   */
  fromBeginning?: boolean;
  retry?: Partial<RetryPolicy>;
  /**
   * Hands the messages a partition has ready over in batches (up to `maxMessages`) instead of
   * one by one. Offsets are committed only after the batch handler resolved (and the messages it
   * gave back were handled or dead-lettered), so delivery stays at least once. The partition
   * waits while its batch is handled: a slow handler holds back fetching (back-pressure), it never
   * accumulates messages.
   */
  batch?: BatchDelivery;
}

export interface Subscription {
  /**
   * Stops fetching, waits for in-flight handlers, commits their offsets, leaves the group.
   * A message waiting between retries is abandoned uncommitted: the next owner redelivers it.
   */
  stop(): Promise<void>;
}

export interface HealthReport {
  ok: boolean;
  detail: string;
}

export interface EventBus {
  /** Durably appends messages to a topic (awaits the broker's acknowledgement). */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /**
   * Delivers every message at least once to `handler`, in order per partition. An offset is
   * committed only after the handler resolves. A handler that keeps failing sees the message
   * retried with backoff; then the message goes to `<topic>.dlq` with the error in headers
   * (see `delivery/dead-letter.ts`) and the partition moves on. Errors marked non-retryable
   * (`retryable: false`, see `isRetryable`) are dead-lettered at once. If dead-lettering itself
   * fails, the subscription stops without committing and `health()` reports it.
   *
   * Resolves once the member has joined its group and holds its partitions, so messages
   * published after it resolves are delivered.
   */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Creates topics (and their `.dlq` twins) that do not exist yet; existing ones are left as they are. */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /** Whether the log is reachable and every subscription is still consuming. */
  health(): Promise<HealthReport>;
  /** Stops every subscription (draining and committing) and disconnects. */
  close(): Promise<void>;
}
