import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-error.js';
import { internalError, unavailable } from '../errors/keel-error.js';
import type { Telemetry } from '../telemetry/start-telemetry.js';
import { createTestLogger } from '../testing/test-logger.js';
import { listenFailure } from './listen-failure.js';
import { type RunningService, runServiceIn, type ServiceHost } from './run-service.js';
import { describeStartFailure } from './start-failure.js';

describe('describeStartFailure', () => {
  it('prints configuration errors as one line naming the variables', () => {
    const failure = describeStartFailure(
      'ingestion',
      new ConfigError([{ variable: 'HTTP_PORT', message: 'expected a port number (0-65535), got "abc"' }]),
    );
    expect(failure).toEqual({
      line: 'ingestion: cannot start: invalid configuration: HTTP_PORT: expected a port number (0-65535), got "abc"',
      expected: true,
    });
  });

  it('prints an unreachable dependency or a taken port as one expected line', () => {
    expect(
      describeStartFailure('ingestion', unavailable('kafka', 'Kafka at 127.0.0.1:9092 is unreachable (KAFKA_BROKERS)')),
    ).toEqual({
      line: 'ingestion: cannot start: kafka unavailable: Kafka at 127.0.0.1:9092 is unreachable (KAFKA_BROKERS)',
      expected: true,
    });
    const taken = Object.assign(new Error('listen EADDRINUSE: address already in use'), { code: 'EADDRINUSE' });
    expect(describeStartFailure('gateway', listenFailure('HTTP', '0.0.0.0', 8080, taken))).toEqual({
      line: 'gateway: cannot start: cannot listen for HTTP on 0.0.0.0:8080: the address is already in use (another process has the port)',
      expected: true,
    });
  });

  it("accepts adapters' own errors that follow the DEPENDENCY. code convention", () => {
    const kafkaDown = Object.assign(new Error('cannot reach Kafka at 127.0.0.1:1'), {
      code: 'DEPENDENCY.KAFKA_UNAVAILABLE',
    });
    expect(describeStartFailure('evaluation', kafkaDown)).toEqual({
      line: 'evaluation: cannot start: cannot reach Kafka at 127.0.0.1:1',
      expected: true,
    });
    const storeDown = Object.assign(new Error('cannot reach MongoDB at mongodb://127.0.0.1:1'), {
      code: 'STORE.UNAVAILABLE',
    });
    expect(describeStartFailure('evaluation', storeDown).expected).toBe(true);
    expect(
      describeStartFailure('evaluation', Object.assign(new Error('boom'), { code: 'ERR_ASSERTION' })).expected,
    ).toBe(false);
  });

  it('treats bugs as unexpected and keeps only the first line of their message', () => {
    expect(describeStartFailure('policy', new TypeError('x is undefined\n    at foo'))).toEqual({
      line: 'policy: cannot start: x is undefined',
      expected: false,
    });
    expect(describeStartFailure('policy', internalError('invariant')).expected).toBe(false);
    expect(describeStartFailure('policy', 'thrown string').line).toBe('policy: cannot start: thrown string');
  });
});

/** A process stand-in: records exits and stderr, lets the test raise signals. */
function fakeHost(env: NodeJS.ProcessEnv = {}) {
  const handlers = new Map<string, () => void>();
  const fatalHandlers: ((error: unknown) => void)[] = [];
  const errors: string[] = [];
  let onExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    onExit = resolve;
  });
  const host: ServiceHost = {
    env,
    onSignal: (signal, handler) => handlers.set(signal, handler),
    onFatalError: (handler) => fatalHandlers.push(handler),
    writeError: (text) => errors.push(text),
    exit: (code) => onExit(code),
  };
  return {
    host,
    errors,
    exited,
    signal: (name: 'SIGTERM' | 'SIGINT') => handlers.get(name)?.(),
    fatal: (error: unknown) => {
      for (const handler of fatalHandlers) handler(error);
    },
  };
}

function fakeTelemetry() {
  const telemetry = { shutdowns: 0 } as Telemetry & { shutdowns: number };
  Object.assign(telemetry, {
    serviceName: 'svc',
    exporters: { traces: [], metrics: [] },
    shutdown: async () => {
      telemetry.shutdowns += 1;
    },
  });
  return telemetry;
}

describe('runService', () => {
  it('logs the URLs, stops on SIGTERM, shuts telemetry down and exits 0', async () => {
    const proc = fakeHost();
    const { logger, find } = createTestLogger('ingestion');
    const telemetry = fakeTelemetry();
    const events: string[] = [];
    const running: RunningService = {
      urls: { http: 'http://127.0.0.1:8081' },
      stop: async () => {
        events.push('stopped');
      },
    };
    await runServiceIn(proc.host, { name: 'ingestion', logger, telemetry, start: async () => running });
    expect(find('ingestion started')[0]?.urls).toEqual({ http: 'http://127.0.0.1:8081' });
    expect(events).toEqual([]);

    proc.signal('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(events).toEqual(['stopped']);
    expect(telemetry.shutdowns).toBe(1);
  });

  it('exits 1 after the grace period when stop hangs (SHUTDOWN_GRACE_MS)', async () => {
    const proc = fakeHost({ SHUTDOWN_GRACE_MS: '100' });
    const { logger, find } = createTestLogger('retrieval');
    await runServiceIn(proc.host, {
      name: 'retrieval',
      logger,
      start: async () => ({ urls: {}, stop: () => new Promise(() => {}) }),
    });
    const startedAt = Date.now();
    proc.signal('SIGINT');
    expect(await proc.exited).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(find('did not stop within the grace period')).toHaveLength(1);
  });

  it('prints one line without a stack for a dependency failure at start, and exits 1', async () => {
    const proc = fakeHost();
    const { logger, lines } = createTestLogger('ingestion');
    const telemetry = fakeTelemetry();
    await runServiceIn(proc.host, {
      name: 'ingestion',
      logger,
      telemetry,
      start: async () => {
        throw unavailable('kafka', 'Kafka at 127.0.0.1:9092 is unreachable (KAFKA_BROKERS)');
      },
    });
    expect(await proc.exited).toBe(1);
    expect(proc.errors).toEqual([
      'ingestion: cannot start: kafka unavailable: Kafka at 127.0.0.1:9092 is unreachable (KAFKA_BROKERS)',
    ]);
    expect(JSON.stringify(lines())).not.toContain('    at ');
    expect(lines()[0]).toMatchObject({ level: 'fatal', code: 'DEPENDENCY.UNAVAILABLE' });
    expect(telemetry.shutdowns).toBe(1);
  });

  it('prints the stack of an unexpected start failure', async () => {
    const proc = fakeHost();
    const { logger, lines } = createTestLogger('policy');
    await runServiceIn(proc.host, {
      name: 'policy',
      logger,
      start: async () => {
        throw new TypeError('cannot read properties of undefined');
      },
    });
    expect(await proc.exited).toBe(1);
    expect(proc.errors[0]).toMatch(/^policy: cannot start: cannot read properties of undefined\nTypeError: .+\n\s+at /);
    expect(JSON.stringify(lines()[0])).toContain('stack');
  });

  it('stops with exit code 1 on a fatal error, and exits at once on a second signal', async () => {
    const first = fakeHost();
    const { logger } = createTestLogger('svc');
    let stops = 0;
    await runServiceIn(first.host, {
      name: 'svc',
      logger,
      start: async () => ({
        urls: {},
        stop: async () => {
          stops += 1;
        },
      }),
    });
    first.fatal(new Error('unhandled rejection'));
    expect(await first.exited).toBe(1);
    expect(stops).toBe(1);

    const second = fakeHost();
    await runServiceIn(second.host, {
      name: 'svc',
      logger,
      start: async () => ({ urls: {}, stop: () => new Promise(() => {}) }),
    });
    second.signal('SIGTERM');
    second.signal('SIGTERM');
    expect(await second.exited).toBe(1);
  });
});
