import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ConsoleMetricExporter, type MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

type Signal = 'traces' | 'metrics';

/**
 * Which exporters the standard OTEL_* variables ask for. Unlike the OpenTelemetry default, an
 * unset OTEL_<SIGNAL>_EXPORTER means OTLP only when an OTLP endpoint is configured: exporting to
 * a collector that is not there made shutdown hang for seconds and crashed the process.
 */
export function exporterNames(signal: Signal, env: NodeJS.ProcessEnv): string[] {
  const upper = signal.toUpperCase();
  const listed = (env[`OTEL_${upper}_EXPORTER`] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  if (listed.includes('none')) return [];
  if (listed.length > 0) return [...new Set(listed)];
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || env[`OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`];
  return endpoint ? ['otlp'] : [];
}

export interface ExporterSetup<T> {
  names: string[];
  components: T[];
  warnings: string[];
}

function protocolWarning(signal: Signal, env: NodeJS.ProcessEnv): string[] {
  const protocol = env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol === undefined || protocol.startsWith('http/')) return [];
  return [
    `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: ${signal} are exported as OTLP over HTTP (JSON), ` +
      'so point the endpoint at the collector HTTP port (4318)',
  ];
}

function unsupported(signal: Signal, name: string, supported: string): string {
  return `unsupported OTEL_${signal.toUpperCase()}_EXPORTER value "${name}" ignored (supported: ${supported}, none)`;
}

export function spanProcessorsFromEnv(env: NodeJS.ProcessEnv): ExporterSetup<SpanProcessor> {
  const names = exporterNames('traces', env);
  const components: SpanProcessor[] = [];
  const warnings = names.includes('otlp') ? protocolWarning('traces', env) : [];
  for (const name of names) {
    if (name === 'otlp') components.push(new BatchSpanProcessor(new OTLPTraceExporter()));
    else if (name === 'console') components.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
    else warnings.push(unsupported('traces', name, 'otlp, console'));
  }
  return { names: names.filter((name) => name === 'otlp' || name === 'console'), components, warnings };
}

function positiveNumber(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

export function metricReadersFromEnv(env: NodeJS.ProcessEnv): ExporterSetup<MetricReader> {
  const names = exporterNames('metrics', env);
  const components: MetricReader[] = [];
  const warnings = names.includes('otlp') ? protocolWarning('metrics', env) : [];
  const exportIntervalMillis = positiveNumber(env.OTEL_METRIC_EXPORT_INTERVAL, 60_000);
  // The SDK refuses a timeout longer than the interval.
  const exportTimeoutMillis = Math.min(positiveNumber(env.OTEL_METRIC_EXPORT_TIMEOUT, 30_000), exportIntervalMillis);
  for (const name of names) {
    if (name === 'otlp' || name === 'console') {
      const exporter = name === 'otlp' ? new OTLPMetricExporter() : new ConsoleMetricExporter();
      components.push(new PeriodicExportingMetricReader({ exporter, exportIntervalMillis, exportTimeoutMillis }));
    } else {
      warnings.push(unsupported('metrics', name, 'otlp, console'));
    }
  }
  return { names: names.filter((name) => name === 'otlp' || name === 'console'), components, warnings };
}
