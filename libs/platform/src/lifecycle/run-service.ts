import { KeelError } from '../errors/keel-error.js';
import type { Logger } from '../logging/create-logger.js';
import type { Telemetry } from '../telemetry/start-telemetry.js';
import { describeStartFailure } from './start-failure.js';

/** What a service's `start<Name>Service()` returns. */
export interface RunningService {
  /** What it listens on, e.g. `{ http: 'http://127.0.0.1:8081', grpc: '127.0.0.1:50051' }`. */
  urls: Record<string, string>;
  /** Drains in-flight work, commits consumer offsets, closes what it opened. */
  stop(): Promise<void>;
}

export interface RunServiceOptions {
  name: string;
  logger: Logger;
  telemetry?: Telemetry;
  start: () => Promise<RunningService>;
  /** Upper bound of stop(); default env SHUTDOWN_GRACE_MS, else 10000 ms. */
  shutdownGraceMs?: number;
}

/** The parts of the process runService touches; tests pass a fake. */
export interface ServiceHost {
  env: NodeJS.ProcessEnv;
  onSignal(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  onFatalError(handler: (error: unknown) => void): void;
  writeError(text: string): void;
  exit(code: number): void;
}

const processHost: ServiceHost = {
  env: process.env,
  onSignal: (signal, handler) => {
    process.on(signal, handler);
  },
  onFatalError: (handler) => {
    process.on('uncaughtException', handler);
    process.on('unhandledRejection', handler);
  },
  writeError: (text) => {
    process.stderr.write(`${text}\n`);
  },
  exit: (code) => process.exit(code),
};

const defaultGraceMs = 10_000;

function graceFrom(options: RunServiceOptions, host: ServiceHost): number {
  if (options.shutdownGraceMs !== undefined) return options.shutdownGraceMs;
  const raw = host.env.SHUTDOWN_GRACE_MS;
  const parsed = raw === undefined ? Number.NaN : Number(raw);
  if (raw !== undefined && !(Number.isInteger(parsed) && parsed > 0)) {
    options.logger.warn(
      { SHUTDOWN_GRACE_MS: raw },
      `SHUTDOWN_GRACE_MS is not a positive integer; using ${defaultGraceMs}`,
    );
  }
  return Number.isInteger(parsed) && parsed > 0 ? parsed : defaultGraceMs;
}

/** Resolves 'done', 'failed' or 'timed out' within `timeoutMs`; never rejects. */
function settleWithin(
  work: () => Promise<void>,
  timeoutMs: number,
): Promise<{ outcome: 'done' } | { outcome: 'failed'; error: unknown } | { outcome: 'timed out' }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ outcome: 'timed out' }), timeoutMs);
    timer.unref();
    Promise.resolve()
      .then(work)
      .then(
        () => resolve({ outcome: 'done' }),
        (error: unknown) => resolve({ outcome: 'failed', error }),
      )
      .finally(() => clearTimeout(timer));
  });
}

/** runService against an explicit host; runService uses the real process. */
export async function runServiceIn(host: ServiceHost, options: RunServiceOptions): Promise<void> {
  const { name, logger, telemetry } = options;
  let running: RunningService;
  try {
    running = await options.start();
  } catch (error) {
    const failure = describeStartFailure(name, error);
    if (failure.expected) {
      logger.fatal(
        { code: error instanceof KeelError ? error.code : (error as { code?: unknown }).code },
        failure.line,
      );
      host.writeError(failure.line);
    } else {
      logger.fatal({ err: error }, failure.line);
      host.writeError(error instanceof Error && error.stack ? `${failure.line}\n${error.stack}` : failure.line);
    }
    await telemetry?.shutdown();
    host.exit(1);
    return;
  }

  logger.info({ urls: running.urls }, `${name} started`);
  const graceMs = graceFrom(options, host);
  let stopping = false;

  const stop = async (reason: string, exitCode: number) => {
    if (stopping) {
      logger.warn({ reason }, `${name}: stop requested again; exiting now`);
      host.exit(1);
      return;
    }
    stopping = true;
    logger.info({ reason, grace_ms: graceMs }, `${name} stopping`);
    const result = await settleWithin(running.stop, graceMs);
    if (result.outcome === 'done') logger.info(`${name} stopped`);
    else if (result.outcome === 'failed') logger.error({ err: result.error }, `${name} did not stop cleanly`);
    else logger.error({ grace_ms: graceMs }, `${name} did not stop within the grace period; exiting anyway`);
    await telemetry?.shutdown();
    host.exit(result.outcome === 'done' ? exitCode : 1);
  };

  host.onSignal('SIGTERM', () => void stop('SIGTERM', 0));
  host.onSignal('SIGINT', () => void stop('SIGINT', 0));
  host.onFatalError((error) => {
    logger.fatal({ err: error }, `${name}: unexpected error; stopping`);
    void stop('fatal error', 1);
  });
}

/**
 * Runs a service process: awaits `start()` and logs its URLs; on SIGTERM or SIGINT calls
 * `stop()` within the grace period, shuts telemetry down and exits 0 (1 when stop failed or ran
 * over; a second signal exits at once). A start that fails because of configuration, an
 * unreachable dependency or a port in use prints one line without a stack and exits 1; any
 * other failure prints the stack too. The only place in this kit that calls process.exit.
 */
export function runService(options: RunServiceOptions): Promise<void> {
  return runServiceIn(processHost, options);
}
