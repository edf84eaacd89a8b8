import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * A span processor whose members can change after the tracer provider is built (the SDK fixes
 * its processors at construction). The exporters from the environment are added at start;
 * tests attach an in-memory exporter to the running provider and detach it afterwards.
 */
export class SwitchableSpanProcessor implements SpanProcessor {
  private readonly processors = new Set<SpanProcessor>();

  /** Adds a processor; returns the function that removes it again. */
  attach(processor: SpanProcessor): () => void {
    this.processors.add(processor);
    return () => {
      this.processors.delete(processor);
    };
  }

  get size(): number {
    return this.processors.size;
  }

  onStart(span: Span, parentContext: Context): void {
    for (const processor of this.processors) processor.onStart(span, parentContext);
  }

  onEnding(span: Span): void {
    for (const processor of this.processors) processor.onEnding?.(span);
  }

  onEnd(span: ReadableSpan): void {
    for (const processor of this.processors) processor.onEnd(span);
  }

  async forceFlush(): Promise<void> {
    await Promise.allSettled([...this.processors].map((processor) => processor.forceFlush()));
  }

  async shutdown(): Promise<void> {
    const processors = [...this.processors];
    this.processors.clear();
    await Promise.allSettled(processors.map((processor) => processor.shutdown()));
  }
}
