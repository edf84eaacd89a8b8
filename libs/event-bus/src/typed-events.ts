/**
 * Typed events over the byte-level port: the topic registry of `@keel/contracts` gives each
 * topic its payload type and codec; these helpers add the envelope, carry the W3C trace context
 * from producer to consumer, and wrap both ends in messaging spans.
 */
import {
  type DecodedEvent,
  decodeEvent,
  EnvelopeHeader,
  type EventContentType,
  encodeEvent,
  type TopicName,
  type TopicPayload,
  topicNames,
  topics,
} from '@keel/contracts';
import { SpanKind } from '@opentelemetry/api';
import type { EventBus, IncomingMessage, OutgoingMessage, RetryPolicy, Subscription } from './event-bus.js';
import { extractTraceContext, injectTraceContext, inSpan } from './tracing/trace-context.js';

export interface PublishEventOptions {
  /** Consumers de-duplicate on it; defaults to the event id (so only exact redeliveries collapse). */
  idempotencyKey?: string;
  contentType?: EventContentType;
}

export interface EventPublisherOptions {
  /**
   * Sends events published while an earlier send to the same topic is in flight together, in
   * one `bus.publish` (one broker round trip, one log transaction), in the order they were
   * published. Each `publish` still resolves only once its own event is acknowledged. For
   * services that publish many events at once (ingestion's outcome events).
   */
  coalesce?: boolean;
  /** The most events sent together when coalescing; default 500. */
  maxCoalesced?: number;
}

interface Pending {
  message: OutgoingMessage;
  resolve(): void;
  reject(error: unknown): void;
}

/** Publishes registry events: envelope, partition key, trace context and a producer span. */
export class EventPublisher {
  readonly #queues = new Map<string, Pending[]>();
  readonly #sending = new Set<string>();

  constructor(
    private readonly bus: EventBus,
    private readonly options: EventPublisherOptions = {},
  ) {}

  publish<N extends TopicName>(topic: N, payload: TopicPayload<N>, options: PublishEventOptions = {}): Promise<void> {
    const attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic,
    };
    return inSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes }, async (span) => {
      // Injected inside the producer span, so the consumer's span becomes its child.
      const trace: Record<string, string> = {};
      injectTraceContext(trace);
      const encoded = encodeEvent(topic, payload, {
        ...options,
        traceparent: trace[EnvelopeHeader.traceparent],
        tracestate: trace[EnvelopeHeader.tracestate],
      });
      span.setAttributes({
        'messaging.message.id': encoded.headers[EnvelopeHeader.eventId] ?? '',
        'messaging.kafka.message.key': encoded.key,
        'keel.tenant.id': encoded.headers[EnvelopeHeader.tenant] ?? '',
      });
      if (this.options.coalesce) await this.#enqueue(topic, encoded);
      else await this.bus.publish(topic, [encoded]);
    });
  }

  #enqueue(topic: string, message: OutgoingMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.#queues.get(topic) ?? [];
      this.#queues.set(topic, queue);
      queue.push({ message, resolve, reject });
      if (!this.#sending.has(topic)) void this.#drain(topic);
    });
  }

  /** One send at a time per topic, so events of a key keep their order across sends. */
  async #drain(topic: string): Promise<void> {
    this.#sending.add(topic);
    try {
      const queue = this.#queues.get(topic) as Pending[];
      while (queue.length > 0) {
        const batch = queue.splice(0, this.options.maxCoalesced ?? 500);
        try {
          await this.bus.publish(
            topic,
            batch.map((pending) => pending.message),
          );
          for (const pending of batch) pending.resolve();
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.#sending.delete(topic);
    }
  }
}

export interface EventSubscriptionOptions<N extends TopicName> {
  groupId: string;
  topic: N;
  fromBeginning?: boolean;
  retry?: Partial<RetryPolicy>;
  /**
   * Handles one event. Delivery is at least once: make it idempotent (the envelope's
   * `meta.idempotencyKey` is there for that). Throw to retry; throw an error with
   * `retryable: false` to dead-letter at once.
   */
  handle(event: DecodedEvent<TopicPayload<N>>, message: IncomingMessage): Promise<void>;
  /**
   * Handles up to `maxMessages` events of a partition at once (see `SubscribeOptions.batch`);
   * resolves with the messages it did not finish, which then go through `handle` one by one with
   * retries and dead-lettering. Messages that cannot be decoded are never handed over: they go
   * through `handle`, hence to the dead-letter topic. The batch runs in one consumer span linked to
   * every message's producer span.
   */
  batch?: {
    maxMessages: number;
    handle(events: BatchedEvent<TopicPayload<N>>[]): Promise<IncomingMessage[]>;
  };
}

/** One event of a batch handed to `batch.handle`. */
export interface BatchedEvent<P> {
  event: DecodedEvent<P>;
  message: IncomingMessage;
  /**
   * Runs work that belongs to this event alone (its outcome events, its own stores' writes) in a
   * consumer span that continues the event's trace, as one-at-a-time delivery does: what this
   * event causes stays on its producer's trace although the batch is handled together.
   */
  inTrace<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Consumes a registry topic. Each attempt runs in a consumer span whose parent is the producer's
 * span from the message headers, so the trace continues across the bus. A message that cannot
 * be decoded fails with a non-retryable `EventDecodeError` and goes straight to `<topic>.dlq`.
 */
export function subscribeToEvents<N extends TopicName>(
  bus: EventBus,
  options: EventSubscriptionOptions<N>,
): Promise<Subscription> {
  const { topic, groupId } = options;
  const batch = options.batch;
  return bus.subscribe({
    groupId,
    topics: [topic],
    fromBeginning: options.fromBeginning,
    retry: options.retry,
    ...(batch
      ? {
          batch: {
            maxMessages: batch.maxMessages,
            handler: (messages: IncomingMessage[]) => handleEventBatch(topic, groupId, batch.handle, messages),
          },
        }
      : {}),
    handler: (message) =>
      inSpan(
        `process ${topic}`,
        {
          kind: SpanKind.CONSUMER,
          parent: extractTraceContext(message.headers),
          attributes: consumerAttributes(topic, groupId, message),
        },
        async (span) => {
          const event = decodeEvent(topic, message);
          span.setAttributes({ 'messaging.message.id': event.meta.eventId, 'keel.tenant.id': event.meta.tenantId });
          await options.handle(event, message);
        },
      ),
  });
}

async function handleEventBatch<N extends TopicName>(
  topic: N,
  groupId: string,
  handle: NonNullable<EventSubscriptionOptions<N>['batch']>['handle'],
  messages: IncomingMessage[],
): Promise<IncomingMessage[]> {
  const decoded: BatchedEvent<TopicPayload<N>>[] = [];
  const undecodable: IncomingMessage[] = [];
  for (const message of messages) {
    try {
      const event = decodeEvent(topic, message);
      const inTrace = <T>(work: () => Promise<T>) =>
        inSpan(
          `process ${topic}`,
          {
            kind: SpanKind.CONSUMER,
            parent: extractTraceContext(message.headers),
            attributes: {
              ...consumerAttributes(topic, groupId, message),
              'messaging.message.id': event.meta.eventId,
              'keel.tenant.id': event.meta.tenantId,
            },
          },
          work,
        );
      decoded.push({ event, message, inTrace });
    } catch {
      undecodable.push(message);
    }
  }
  const first = messages[0] as IncomingMessage;
  const unfinished = await inSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      links: messages.map((message) => extractTraceContext(message.headers)),
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.consumer.group.name': groupId,
        'messaging.destination.partition.id': String(first.partition),
        'messaging.batch.message_count': messages.length,
      },
    },
    () => (decoded.length > 0 ? handle(decoded) : Promise.resolve([])),
  );
  return [...undecodable, ...unfinished];
}

function consumerAttributes(topic: string, groupId: string, message: IncomingMessage) {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': topic,
    'messaging.consumer.group.name': groupId,
    'messaging.destination.partition.id': String(message.partition),
    'messaging.kafka.offset': Number(message.offset),
    'messaging.kafka.message.key': message.key,
  };
}

/** Creates every registry topic with its partition count, and (through the bus) its `.dlq` twin. */
export function ensureKeelTopics(bus: EventBus): Promise<void> {
  return bus.ensureTopics(topicNames.map((name) => ({ name, partitions: topics[name].partitions })));
}
