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
import type { EventBus, IncomingMessage, RetryPolicy, Subscription } from './event-bus.js';
import { extractTraceContext, injectTraceContext, inSpan } from './tracing/trace-context.js';

export interface PublishEventOptions {
  /** Consumers de-duplicate on it; defaults to the event id (so only exact redeliveries collapse). */
  idempotencyKey?: string;
  contentType?: EventContentType;
}

/** Publishes registry events: envelope, partition key, trace context and a producer span. */
export class EventPublisher {
  constructor(private readonly bus: EventBus) {}

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
      await this.bus.publish(topic, [encoded]);
    });
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
  return bus.subscribe({
    groupId,
    topics: [topic],
    fromBeginning: options.fromBeginning,
    retry: options.retry,
    handler: (message) =>
      inSpan(
        `process ${topic}`,
        {
          kind: SpanKind.CONSUMER,
          parent: extractTraceContext(message.headers),
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': topic,
            'messaging.consumer.group.name': groupId,
            'messaging.destination.partition.id': String(message.partition),
            'messaging.kafka.offset': Number(message.offset),
            'messaging.kafka.message.key': message.key,
          },
        },
        async (span) => {
          const event = decodeEvent(topic, message);
          span.setAttributes({ 'messaging.message.id': event.meta.eventId, 'keel.tenant.id': event.meta.tenantId });
          await options.handle(event, message);
        },
      ),
  });
}

/** Creates every registry topic with its partition count, and (through the bus) its `.dlq` twin. */
export function ensureKeelTopics(bus: EventBus): Promise<void> {
  return bus.ensureTopics(topicNames.map((name) => ({ name, partitions: topics[name].partitions })));
}
