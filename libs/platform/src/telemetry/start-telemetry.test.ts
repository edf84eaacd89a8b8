import { createServer, type Server } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestTelemetry } from '../testing/test-telemetry.js';
import { exporterNames } from './exporters-from-env.js';
import { currentTraceId, currentTraceparent, injectTraceContext, withSpan } from './spans.js';
import { startTelemetry, type Telemetry, telemetryState } from './start-telemetry.js';

const started: Telemetry[] = [];
function start(options: Parameters<typeof startTelemetry>[0]): Telemetry {
  const telemetry = startTelemetry(options);
  started.push(telemetry);
  return telemetry;
}

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(started.splice(0).map((telemetry) => telemetry.shutdown()));
});

describe('exporterNames', () => {
  it('exports nothing unless an endpoint or an exporter is configured', () => {
    expect(exporterNames('traces', {})).toEqual([]);
    expect(exporterNames('traces', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual(['otlp']);
    expect(exporterNames('metrics', { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics' })).toEqual([
      'otlp',
    ]);
    expect(exporterNames('traces', { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics' })).toEqual([]);
    expect(exporterNames('traces', { OTEL_TRACES_EXPORTER: 'console, otlp' })).toEqual(['console', 'otlp']);
    expect(
      exporterNames('traces', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
    ).toEqual([]);
  });
});

describe('startTelemetry', () => {
  it('installs a real tracer provider and W3C propagation even when nothing is exported', async () => {
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'none');
    const telemetry = start({ serviceName: 'unit' });
    expect(telemetry.exporters).toEqual({ traces: [], metrics: [] });
    expect(currentTraceId()).toBeUndefined();

    await withSpan('outer', {}, async () => {
      const traceId = currentTraceId();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(traceId).not.toBe('0'.repeat(32));
      // The context survives an await: AsyncLocalStorage is the context manager.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const carrier: Record<string, string> = {};
      injectTraceContext(carrier);
      expect(carrier.traceparent).toBe(currentTraceparent());
      expect(carrier.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    });
  });

  it('is idempotent: the first call wins and later calls share its handle', () => {
    const first = start({ serviceName: 'ingestion' });
    const second = start({ serviceName: 'retrieval' });
    expect(second).toBe(first);
    expect(second.serviceName).toBe('ingestion');
  });

  it('starts clean again after a shutdown', async () => {
    const first = start({ serviceName: 'one' });
    await first.shutdown();
    await first.shutdown();
    expect(telemetryState()).toBeUndefined();
    const second = start({ serviceName: 'two' });
    expect(second).not.toBe(first);
    await withSpan('works', {}, async () => expect(currentTraceId()).toBeDefined());
  });

  it('installs nothing when OTEL_SDK_DISABLED=true', async () => {
    const telemetry = start({ serviceName: 'off', env: { OTEL_SDK_DISABLED: 'true' } });
    expect(telemetryState()).toBeUndefined();
    await withSpan('noop', {}, async () => expect(currentTraceId()).toBeUndefined());
    await telemetry.shutdown();
  });

  it('bounds shutdown when the collector accepts connections but never answers', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const blackHole: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as import('node:net').AddressInfo;
    try {
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://127.0.0.1:${port}`);
      vi.stubEnv('OTEL_TRACES_EXPORTER', '');
      vi.stubEnv('OTEL_METRICS_EXPORTER', '');
      const telemetry = start({ serviceName: 'slow-collector', shutdownTimeoutMs: 300 });
      expect(telemetry.exporters).toEqual({ traces: ['otlp'], metrics: ['otlp'] });
      await withSpan('exported', {}, async () => {});
      const startedAt = Date.now();
      await expect(telemetry.shutdown()).resolves.toBeUndefined();
      const elapsed = Date.now() - startedAt;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(2000);
    } finally {
      for (const socket of sockets) socket.destroy();
      blackHole.close();
    }
  });
});

describe('withSpan', () => {
  it('continues the trace of a carrier, records failures and always ends the span', async () => {
    start({ serviceName: 'spans' });
    const recorder = startTestTelemetry();
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

    await withSpan('consume', { kind: 'consumer', parentCarrier: { traceparent: parent } }, async () => {
      expect(currentTraceId()).toBe('0af7651916cd43dd8448eb211c80319c');
    });
    await expect(
      withSpan('fails', { attributes: { 'keel.step': 'parse' } }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');

    const consume = await recorder.waitForSpan((span) => span.name === 'consume');
    expect(consume.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    const failed = await recorder.waitForSpan((span) => span.name === 'fails');
    expect(failed.status.code).toBe(2);
    expect(failed.attributes['keel.step']).toBe('parse');
    expect(failed.events.map((event) => event.name)).toContain('exception');
    recorder.stop();
  });

  it('nests under the active span when no carrier is given', async () => {
    start({ serviceName: 'spans' });
    await withSpan('parent', {}, async (outer) => {
      await withSpan('child', {}, async (inner) => {
        expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
        expect(trace.getSpan(context.active())).toBe(inner);
      });
    });
    expect(propagation.fields()).toEqual(expect.arrayContaining(['traceparent', 'tracestate', 'baggage']));
  });
});
