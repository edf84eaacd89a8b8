/**
 * W3C trace context across the bus, on `@opentelemetry/api` alone: the service kit
 * (`@keel/platform`) installs the SDK, tracer provider and propagator at startup; the bus only
 * speaks the API, so it needs no dependency on the kit and is a no-op when telemetry is off.
 */
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

const instrumentationScope = '@keel/event-bus';

/** Writes the active context's `traceparent` (and `tracestate`) into message headers. */
export function injectTraceContext(headers: Record<string, string>): void {
  propagation.inject(context.active(), headers);
}

/** The context a message's headers carry; the root context when they carry none. */
export function extractTraceContext(headers: Record<string, string>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

export interface SpanOptions {
  kind: SpanKind;
  attributes?: Attributes;
  /** The parent; the active context when omitted. */
  parent?: Context;
  /** Spans this one is about without being their child (a batch consumer links its messages' producers). */
  links?: Context[];
}

/** Runs `work` in a new active span that records a failure before rethrowing it. */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(instrumentationScope);
  const links = (options.links ?? [])
    .map((linked) => trace.getSpanContext(linked))
    .filter((spanContext) => spanContext !== undefined)
    .map((spanContext) => ({ context: spanContext }));
  const spanOptions = {
    kind: options.kind,
    ...(options.attributes ? { attributes: options.attributes } : {}),
    ...(links.length > 0 ? { links } : {}),
  };
  return tracer.startActiveSpan(name, spanOptions, options.parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
