import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, telemetryState } from '../telemetry/start-telemetry.js';

export interface TestTelemetry {
  /** Spans ended so far, oldest first. */
  spans(): ReadableSpan[];
  /** The first ended span matching the predicate, waiting for it up to `timeoutMs` (default 2000). */
  waitForSpan(predicate: (span: ReadableSpan) => boolean, timeoutMs?: number): Promise<ReadableSpan>;
  reset(): void;
  /** Stops recording (the process's telemetry keeps running for other suites). */
  stop(): void;
}

/**
 * Records the spans of the code under test. Starts telemetry for the process if nothing has
 * (with exporters from the environment: none under vitest) and attaches an in-memory exporter
 * to it, so it also works when the code under test started telemetry itself.
 */
export function startTestTelemetry(serviceName = 'test'): TestTelemetry {
  startTelemetry({ serviceName });
  const state = telemetryState();
  if (!state) throw new Error('startTestTelemetry: telemetry is disabled (OTEL_SDK_DISABLED=true)');
  const exporter = new InMemorySpanExporter();
  const detach = state.spanProcessor.attach(new SimpleSpanProcessor(exporter));
  return {
    spans: () => exporter.getFinishedSpans(),
    async waitForSpan(predicate, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = exporter.getFinishedSpans().find(predicate);
        if (found) return found;
        if (Date.now() > deadline) {
          const names = exporter.getFinishedSpans().map((span) => span.name);
          throw new Error(`no matching span within ${timeoutMs} ms; ended spans: ${names.join(', ') || 'none'}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    reset: () => exporter.reset(),
    stop: detach,
  };
}
