import { ContentType, type EventMeta, topicNames, topics } from '@keel/contracts';
import { IngestRequested } from '@keel/contracts/events/v1/documents';
import { waitFor } from '@keel/testing';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterHeader } from './delivery/dead-letter.js';
import { createEmbeddedEventBus } from './embedded/embedded-event-bus.js';
import type { EventBus, IncomingMessage, TopicSpec } from './event-bus.js';
import { EventPublisher, ensureKeelTopics, subscribeToEvents } from './typed-events.js';

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});

afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});

afterEach(() => exporter.reset());

// fromPartial: fields the message gains later keep their defaults.
const request = IngestRequested.fromPartial({
  tenantId: 'acme',
  documentId: 'doc-1',
  jobId: 'job-1',
  title: 'Handbook',
  source: 'https://intranet/handbook',
  contentType: 'text/markdown',
  text: '# Handbook',
  metadata: { team: 'hr' },
  aclGroups: ['hr'],
  requestedAt: new Date('2026-01-02T03:04:05.000Z'),
});

describe('typed events', () => {
  it('round-trips a payload and continues the producer trace in the consumer', async () => {
    const bus = createEmbeddedEventBus();
    let seen: { payload: unknown; meta: EventMeta; traceId?: string; message: IncomingMessage } | undefined;
    await subscribeToEvents(bus, {
      groupId: 'keel-test',
      topic: 'keel.ingest.requested.v1',
      handle: async (event, message) => {
        seen = { ...event, traceId: trace.getActiveSpan()?.spanContext().traceId, message };
      },
    });
    const publisher = new EventPublisher(bus);
    const tracer = trace.getTracer('test');
    const requestTraceId = await tracer.startActiveSpan('POST /v1/documents', async (span) => {
      await publisher.publish('keel.ingest.requested.v1', request, { idempotencyKey: 'job-1' });
      span.end();
      return span.spanContext().traceId;
    });
    const received = await waitFor('the event', () => seen);

    expect(received.payload).toEqual(request);
    expect(received.meta).toMatchObject({
      tenantId: 'acme',
      idempotencyKey: 'job-1',
      contentType: ContentType.protobuf,
    });
    expect(received.message.key).toBe('acme:doc-1');
    expect(received.traceId).toBe(requestTraceId);
    expect(received.message.headers.traceparent).toMatch(new RegExp(`^00-${requestTraceId}-[0-9a-f]{16}-01$`));

    const spans = await waitFor('three finished spans', () => {
      const finished = exporter.getFinishedSpans();
      return finished.length === 3 ? finished : undefined;
    });
    const byName = new Map(spans.map((span) => [span.name, span]));
    const root = byName.get('POST /v1/documents');
    const producer = byName.get('send keel.ingest.requested.v1');
    const consumer = byName.get('process keel.ingest.requested.v1');
    expect(producer?.kind).toBe(SpanKind.PRODUCER);
    expect(producer?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    expect(consumer?.kind).toBe(SpanKind.CONSUMER);
    expect(consumer?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
    expect(consumer?.attributes).toMatchObject({
      'messaging.destination.name': 'keel.ingest.requested.v1',
      'messaging.consumer.group.name': 'keel-test',
      'keel.tenant.id': 'acme',
    });
    await bus.close();
  });

  it('starts a new trace for an event published outside any span', async () => {
    const bus = createEmbeddedEventBus();
    const traceIds: (string | undefined)[] = [];
    await subscribeToEvents(bus, {
      groupId: 'keel-test',
      topic: 'keel.ingest.requested.v1',
      handle: async () => {
        traceIds.push(trace.getActiveSpan()?.spanContext().traceId);
      },
    });
    await new EventPublisher(bus).publish('keel.ingest.requested.v1', request);
    await waitFor('the event', () => traceIds[0]);
    expect(traceIds[0]).toMatch(/^[0-9a-f]{32}$/);
    await bus.close();
  });

  it('sends an undecodable message straight to the DLQ without calling the handler', async () => {
    const bus = createEmbeddedEventBus();
    let handled = 0;
    await subscribeToEvents(bus, {
      groupId: 'keel-test',
      topic: 'keel.ingest.requested.v1',
      retry: { maxAttempts: 5, initialBackoffMs: 10_000, maxBackoffMs: 10_000 },
      handle: async () => {
        handled += 1;
      },
    });
    const letters: IncomingMessage[] = [];
    await bus.subscribe({
      groupId: 'dlq-watch',
      topics: ['keel.ingest.requested.v1.dlq'],
      handler: async (message) => {
        letters.push(message);
      },
    });
    await bus.publish('keel.ingest.requested.v1', [
      {
        key: 'acme:doc-1',
        value: new TextEncoder().encode('{not json'),
        headers: { 'content-type': 'application/json' },
      },
    ]);
    const letter = await waitFor('the dead letter', () => letters[0]);
    expect(letter.headers).toMatchObject({
      [DeadLetterHeader.errorCode]: 'EVENT.UNDECODABLE',
      [DeadLetterHeader.attempts]: '1',
      'content-type': 'application/json',
    });
    expect(handled).toBe(0);
    const failed = exporter.getFinishedSpans().find((span) => span.name === 'process keel.ingest.requested.v1');
    expect(failed?.status.code).toBe(2);
    expect(failed?.events.some((event) => event.name === 'exception')).toBe(true);
    await bus.close();
  });

  it('coalesces events published while a send is in flight into one send, in order, each awaited', async () => {
    const inner = createEmbeddedEventBus();
    const sends: number[] = [];
    const bus: EventBus = {
      ...inner,
      publish: async (topic, messages) => {
        sends.push(messages.length);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await inner.publish(topic, messages);
      },
      subscribe: (options) => inner.subscribe(options),
      ensureTopics: (topics) => inner.ensureTopics(topics),
      health: () => inner.health(),
      close: () => inner.close(),
    };
    const publisher = new EventPublisher(bus, { coalesce: true });
    const received: string[] = [];
    await subscribeToEvents(inner, {
      groupId: 'coalesced',
      topic: 'keel.ingest.requested.v1',
      handle: async (event) => {
        received.push(event.payload.jobId);
      },
    });
    const jobs = Array.from({ length: 10 }, (_, index) => `job-${index}`);
    await Promise.all(
      jobs.map((jobId) =>
        publisher.publish('keel.ingest.requested.v1', IngestRequested.fromPartial({ ...request, jobId })),
      ),
    );
    // The first send goes alone; the nine published meanwhile go together.
    expect(sends).toEqual([1, 9]);
    await waitFor('every event', () => received.length === jobs.length || undefined);
    expect(received).toEqual(jobs);
    await bus.close();
  });

  it('rejects every coalesced publish of a failed send, and sends later ones again', async () => {
    const inner = createEmbeddedEventBus();
    let failing = true;
    const bus: EventBus = {
      ...inner,
      publish: async (topic, messages) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        if (failing) throw new Error('broker down');
        await inner.publish(topic, messages);
      },
      subscribe: (options) => inner.subscribe(options),
      ensureTopics: (topics) => inner.ensureTopics(topics),
      health: () => inner.health(),
      close: () => inner.close(),
    };
    const publisher = new EventPublisher(bus, { coalesce: true });
    const results = await Promise.allSettled(
      ['a', 'b', 'c'].map((jobId) =>
        publisher.publish('keel.ingest.requested.v1', IngestRequested.fromPartial({ ...request, jobId })),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    failing = false;
    await expect(
      publisher.publish('keel.ingest.requested.v1', IngestRequested.fromPartial({ ...request, jobId: 'd' })),
    ).resolves.toBeUndefined();
    await bus.close();
  });

  it('hands decoded events over in batches in one linked span, and undecodable ones to the dead-letter path', async () => {
    const bus = createEmbeddedEventBus({ defaultPartitions: 1 });
    await bus.ensureTopics([{ name: 'keel.ingest.requested.v1', partitions: 1 }]);
    const batches: string[][] = [];
    const single: string[] = [];
    const letters: IncomingMessage[] = [];
    await bus.subscribe({
      groupId: 'dlq-watch-batch',
      topics: ['keel.ingest.requested.v1.dlq'],
      handler: async (message) => {
        letters.push(message);
      },
    });
    const publisher = new EventPublisher(bus);
    for (const jobId of ['j1', 'j2']) {
      await publisher.publish('keel.ingest.requested.v1', IngestRequested.fromPartial({ ...request, jobId }));
    }
    await bus.publish('keel.ingest.requested.v1', [
      {
        key: 'acme:doc-1',
        value: new TextEncoder().encode('{not json'),
        headers: { 'content-type': 'application/json' },
      },
    ]);
    await publisher.publish('keel.ingest.requested.v1', IngestRequested.fromPartial({ ...request, jobId: 'j3' }));
    await subscribeToEvents(bus, {
      groupId: 'batched',
      topic: 'keel.ingest.requested.v1',
      handle: async (event) => {
        single.push(event.payload.jobId);
      },
      batch: {
        maxMessages: 10,
        handle: async (events) => {
          batches.push(events.map(({ event }) => event.payload.jobId));
          return events.filter(({ event }) => event.payload.jobId === 'j2').map(({ message }) => message);
        },
      },
    });
    await waitFor('the batch, the given-back event and the dead letter', () =>
      batches.length > 0 && single.length > 0 && letters.length > 0 ? true : undefined,
    );
    expect(batches).toEqual([['j1', 'j2', 'j3']]);
    expect(single).toEqual(['j2']);
    expect(letters[0]?.headers[DeadLetterHeader.errorCode]).toBe('EVENT.UNDECODABLE');
    const span = exporter.getFinishedSpans().find((entry) => entry.attributes['messaging.batch.message_count'] === 4);
    // Linked to the producer span of each event that carried one (the undecodable bytes carried none).
    expect(span?.links.length).toBe(3);
    await bus.close();
  });

  it('runs the work of each batched event in a span that continues that event’s own trace', async () => {
    const bus = createEmbeddedEventBus({ defaultPartitions: 1 });
    await bus.ensureTopics([{ name: 'keel.ingest.requested.v1', partitions: 1 }]);
    const publisher = new EventPublisher(bus);
    const tracer = trace.getTracer('test');
    const producedIn = new Map<string, string>();
    for (const jobId of ['t1', 't2']) {
      await tracer.startActiveSpan(`POST ${jobId}`, async (span) => {
        await publisher.publish('keel.ingest.requested.v1', IngestRequested.fromPartial({ ...request, jobId }));
        producedIn.set(jobId, span.spanContext().traceId);
        span.end();
      });
    }
    const workedIn = new Map<string, string | undefined>();
    let batchTrace: string | undefined;
    await subscribeToEvents(bus, {
      groupId: 'batched-traces',
      topic: 'keel.ingest.requested.v1',
      handle: async () => {},
      batch: {
        maxMessages: 10,
        handle: async (events) => {
          batchTrace = trace.getActiveSpan()?.spanContext().traceId;
          await Promise.all(
            events.map(({ event, inTrace }) =>
              inTrace(async () => {
                workedIn.set(event.payload.jobId, trace.getActiveSpan()?.spanContext().traceId);
              }),
            ),
          );
          return [];
        },
      },
    });
    await waitFor('both events worked on', () => (workedIn.size === 2 ? true : undefined));
    expect(workedIn.get('t1')).toBe(producedIn.get('t1'));
    expect(workedIn.get('t2')).toBe(producedIn.get('t2'));
    expect(producedIn.get('t1')).not.toBe(producedIn.get('t2'));
    // The batch itself is its own trace, linked to both.
    expect(batchTrace).not.toBe(producedIn.get('t1'));
    await bus.close();
  });

  it('publishes JSON when asked, which the consumer decodes alike', async () => {
    const bus = createEmbeddedEventBus();
    let payload: unknown;
    let contentType: string | undefined;
    await subscribeToEvents(bus, {
      groupId: 'keel-test',
      topic: 'keel.ingest.requested.v1',
      handle: async (event, message) => {
        payload = event.payload;
        contentType = message.headers['content-type'];
      },
    });
    await new EventPublisher(bus).publish('keel.ingest.requested.v1', request, { contentType: ContentType.json });
    await waitFor('the event', () => payload);
    expect(payload).toEqual(request);
    expect(contentType).toBe(ContentType.json);
    await bus.close();
  });

  it('ensureKeelTopics asks for every registry topic with its partition count', async () => {
    const requested: TopicSpec[] = [];
    const bus = { ensureTopics: async (specs: TopicSpec[]) => void requested.push(...specs) } as unknown as EventBus;
    await ensureKeelTopics(bus);
    expect(requested).toEqual(topicNames.map((name) => ({ name, partitions: topics[name].partitions })));
    expect(requested.length).toBeGreaterThanOrEqual(8);
  });
});
