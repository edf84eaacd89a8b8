import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Meter,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** The instrumentation scope of every span and instrument this kit creates. */
const scope = '@keel/platform';

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

const spanKinds: Record<SpanKindName, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

export type TraceCarrier = Record<string, string | string[] | undefined>;

export interface WithSpanOptions {
  kind?: SpanKindName;
  attributes?: Record<string, string | number | boolean>;
  /**
   * Headers carrying W3C context (`traceparent`, `tracestate`) from another process: a Kafka
   * message, an HTTP request. The span becomes their child instead of the active span's.
   */
  parentCarrier?: Record<string, string | undefined>;
}

export function getTracer(name: string = scope): Tracer {
  return trace.getTracer(name);
}

/** A meter for domain metrics (tokens, cost); a no-op unless a metrics exporter is configured. */
export function getMeter(name: string = scope): Meter {
  return metrics.getMeter(name);
}

/** The context described by incoming headers, on top of the active one (unchanged when absent). */
export function extractTraceContext(carrier: TraceCarrier, base: Context = context.active()): Context {
  return propagation.extract(base, carrier);
}

/** Marks a span failed with the error recorded as an exception event. */
export function recordSpanError(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Runs `fn` inside a new active span: a child of `parentCarrier`'s context when given, else of
 * the active span. A rejection is recorded on the span (exception event, error status) and
 * rethrown; the span always ends.
 */
export function withSpan<T>(name: string, options: WithSpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parentCarrier ? extractTraceContext(options.parentCarrier) : context.active();
  const spanOptions: { kind: SpanKind; attributes?: Attributes } = { kind: spanKinds[options.kind ?? 'internal'] };
  if (options.attributes) spanOptions.attributes = options.attributes;
  return getTracer().startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordSpanError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Writes `traceparent` (and `tracestate`, `baggage` when present) of the active context. */
export function injectTraceContext(carrier: Record<string, string>): void {
  propagation.inject(context.active(), carrier);
}

function activeSpanContext() {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * `fn`, to run in the context active now wherever it is called from: a listener on a response,
 * whose events come from the socket, logs and traces with the request it belongs to.
 */
export function inActiveContext<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return context.bind(context.active(), fn);
}

/** The active trace id (32 hex digits), or undefined outside any span. */
export function currentTraceId(): string | undefined {
  return activeSpanContext()?.traceId;
}

/** The active context as a W3C `traceparent` value, or undefined outside any span. */
export function currentTraceparent(): string | undefined {
  const spanContext = activeSpanContext();
  if (!spanContext) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}
