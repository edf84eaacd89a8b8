import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  /** Defaults to env LOG_LEVEL, else `info`. `silent` turns logging off (tests). */
  level?: string;
  /** Where JSON lines go; stdout by default. Tests pass a memory stream. */
  destination?: DestinationStream;
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Keys a careless `logger.info({ headers })` could expose. API keys are also never passed to
 * loggers by this kit; this is the second line of defence.
 */
const redactedPaths = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
];

/** Lets a log line be found from a trace and the other way round. */
function traceFields(): Record<string, string> {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * A JSON-lines logger: ISO time, level as a word, `service` on every line, and `trace_id` /
 * `span_id` whenever a span is active, so logs and traces join up in any backend.
 */
export function createLogger(service: string, options: CreateLoggerOptions = {}): Logger {
  const requested = (options.level ?? process.env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  const level = levels.includes(requested) ? requested : 'info';
  const logger = pino(
    {
      level,
      base: { service },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceFields,
      redact: { paths: redactedPaths, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  if (level !== requested) {
    logger.warn({ requestedLevel: requested }, `unknown log level "${requested}", using "info"`);
  }
  return logger;
}
