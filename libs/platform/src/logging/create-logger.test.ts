import { afterAll, describe, expect, it } from 'vitest';
import { withSpan } from '../telemetry/spans.js';
import { startTelemetry } from '../telemetry/start-telemetry.js';
import { createTestLogger } from '../testing/test-logger.js';
import { startTestTelemetry } from '../testing/test-telemetry.js';
import { createLogger } from './create-logger.js';

const telemetry = startTelemetry({ serviceName: 'logging-test' });
afterAll(() => telemetry.shutdown());

describe('createLogger', () => {
  it('writes JSON lines with time, level word, service and message', () => {
    const { logger, lines } = createTestLogger('ingestion');
    logger.info({ documentId: 'd1' }, 'indexed');
    const [line] = lines();
    expect(line).toMatchObject({ level: 'info', service: 'ingestion', msg: 'indexed', documentId: 'd1' });
    expect(Date.parse(String(line?.time))).not.toBeNaN();
    expect(line).not.toHaveProperty('trace_id');
  });

  it('adds trace_id and span_id inside an active span', async () => {
    startTestTelemetry();
    const { logger, lines } = createTestLogger('ingestion');
    let expected: { traceId: string; spanId: string } | undefined;
    await withSpan('work', {}, async (span) => {
      expected = span.spanContext();
      logger.info('inside');
    });
    expect(lines()[0]).toMatchObject({ trace_id: expected?.traceId, span_id: expected?.spanId });
  });

  it('respects the level and LOG_LEVEL, falling back to info for an unknown level', () => {
    const silent = createTestLogger('quiet', 'silent');
    silent.logger.error('not written');
    expect(silent.lines()).toEqual([]);

    const written: string[] = [];
    const destination = { write: (line: string) => void written.push(line) };
    const previous = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'warn';
    try {
      const fromEnv = createLogger('env', { destination });
      fromEnv.info('dropped');
      fromEnv.warn('kept');
      expect(written.map((line) => JSON.parse(line).msg)).toEqual(['kept']);
    } finally {
      process.env.LOG_LEVEL = previous;
    }
    const fallback = createTestLogger('typo', 'verbose');
    expect(fallback.logger.level).toBe('info');
    expect(fallback.find('unknown log level "verbose"')).toHaveLength(1);
  });

  it('redacts authorization headers and API keys', () => {
    const { logger, lines } = createTestLogger('auth');
    logger.info({ headers: { authorization: 'Bearer sk-secret' }, apiKey: 'sk-secret' }, 'request');
    expect(JSON.stringify(lines())).not.toContain('sk-secret');
  });
});
