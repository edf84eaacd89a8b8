import { context, DiagLogLevel, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from '../logging/create-logger.js';
import { metricReadersFromEnv, spanProcessorsFromEnv } from './exporters-from-env.js';
import { SwitchableSpanProcessor } from './switchable-span-processor.js';

export interface Telemetry {
  /** Flushes and stops exporting. Bounded in time and never throws: it runs on the way out. */
  shutdown(): Promise<void>;
  /** The service that started telemetry first (one process may host several services). */
  readonly serviceName: string;
  /** The exporters in use, e.g. `{ traces: ['otlp'], metrics: [] }`; empty means no export. */
  readonly exporters: { traces: string[]; metrics: string[] };
}

export interface StartTelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  /** Reports the exporters chosen and OpenTelemetry's own warnings (export failures). */
  logger?: Logger;
  /** Upper bound of `shutdown()`; default 5000 ms. */
  shutdownTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

interface TelemetryState {
  telemetry: Telemetry;
  /** Where tests attach their in-memory exporter. */
  spanProcessor: SwitchableSpanProcessor;
}

/**
 * Kept on globalThis, like the OpenTelemetry API keeps its own registrations: the API globals
 * outlive a module instance (test runners re-import modules in one process), and both must agree.
 */
const stateKey = Symbol.for('keel.platform.telemetry');
type GlobalWithTelemetry = typeof globalThis & { [stateKey]?: TelemetryState };
const globalState = globalThis as GlobalWithTelemetry;

export function telemetryState(): TelemetryState | undefined {
  return globalState[stateKey];
}

function bounded(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

function forwardDiagnostics(logger: Logger): void {
  diag.setLogger(
    {
      error: (message, ...args) => logger.warn({ otel: args }, `opentelemetry: ${message}`),
      warn: (message, ...args) => logger.warn({ otel: args }, `opentelemetry: ${message}`),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

function disabledTelemetry(serviceName: string): Telemetry {
  return { serviceName, exporters: { traces: [], metrics: [] }, shutdown: async () => {} };
}

/**
 * Installs OpenTelemetry for the process; call it first in main.ts. There is no
 * auto-instrumentation (monkey-patching is unreliable under ESM and tsx): the HTTP, gRPC and
 * event-bus helpers create spans and carry context explicitly. What this installs:
 *
 * - an AsyncLocalStorage context manager and the W3C trace-context and baggage propagators;
 * - a real tracer provider even when nothing is exported, so trace ids exist, reach the logs and
 *   travel to other services (`OTEL_TRACES_EXPORTER=none` means "do not export", not "no ids");
 * - exporters from the standard variables, OTLP only when an endpoint or exporter is configured;
 * - a meter provider when a metrics exporter is configured (otherwise meters are no-ops).
 *
 * Idempotent: the first call wins and later calls (the one-process launcher starts six
 * services) return the same handle. `OTEL_SDK_DISABLED=true` installs nothing.
 */
export function startTelemetry(options: StartTelemetryOptions): Telemetry {
  const existing = telemetryState();
  if (existing) return existing.telemetry;
  const env = options.env ?? process.env;
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') {
    return disabledTelemetry(options.serviceName);
  }
  if (options.logger && env.OTEL_LOG_LEVEL === undefined) forwardDiagnostics(options.logger);

  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager)) contextManager.disable();
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );

  const ownAttributes: Record<string, string> = { [ATTR_SERVICE_NAME]: options.serviceName };
  if (options.serviceVersion) ownAttributes[ATTR_SERVICE_VERSION] = options.serviceVersion;
  // Later merges win: OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES let operators rename a deployment.
  const resource = defaultResource()
    .merge(detectResources({ detectors: [processDetector, hostDetector] }))
    .merge(resourceFromAttributes(ownAttributes))
    .merge(detectResources({ detectors: [envDetector] }));

  const traces = spanProcessorsFromEnv(env);
  const spanProcessor = new SwitchableSpanProcessor();
  for (const processor of traces.components) spanProcessor.attach(processor);
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  trace.setGlobalTracerProvider(tracerProvider);

  const metricSetup = metricReadersFromEnv(env);
  const meterProvider =
    metricSetup.components.length > 0 ? new MeterProvider({ resource, readers: metricSetup.components }) : undefined;
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);

  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5000;
  let stopping: Promise<void> | undefined;
  const telemetry: Telemetry = {
    serviceName: options.serviceName,
    exporters: { traces: traces.names, metrics: metricSetup.names },
    shutdown() {
      stopping ??= bounded(
        Promise.allSettled([tracerProvider.shutdown(), meterProvider?.shutdown()]),
        shutdownTimeoutMs,
      )
        .then(() => {
          // Unregister so that a later startTelemetry (the next test file in this worker) starts clean.
          trace.disable();
          metrics.disable();
          propagation.disable();
          context.disable();
          diag.disable();
          if (globalState[stateKey]?.telemetry === telemetry) delete globalState[stateKey];
        })
        .catch(() => {});
      return stopping;
    },
  };
  globalState[stateKey] = { telemetry, spanProcessor };

  for (const warning of [...traces.warnings, ...metricSetup.warnings]) options.logger?.warn(warning);
  options.logger?.info(
    { traces: telemetry.exporters.traces, metrics: telemetry.exporters.metrics },
    'telemetry started',
  );
  return telemetry;
}
