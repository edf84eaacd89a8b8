import { createLogger, type Logger } from '../logging/create-logger.js';

export interface ShutdownSequenceOptions {
  /** Pass the service's logger; without one, failures still go to a logger of their own. */
  logger?: Logger;
  /** Upper bound of each step; default 5000 ms. A hung step must not stop the others. */
  stepTimeoutMs?: number;
}

interface Step {
  name: string;
  run: () => Promise<void>;
}

type StepOutcome = { kind: 'done' } | { kind: 'failed'; error: unknown } | { kind: 'timed out' };

/**
 * Stops what a service started, in reverse order of starting: stop intake (HTTP, gRPC,
 * consumers) before the stores and buses they use. Each step is bounded and its errors are
 * logged, never thrown, so one broken step cannot keep the rest from closing.
 */
export class ShutdownSequence {
  private readonly steps: Step[] = [];
  private readonly stepTimeoutMs: number;
  private readonly logger: Logger;
  private running: Promise<void> | undefined;

  constructor(options: ShutdownSequenceOptions = {}) {
    this.stepTimeoutMs = options.stepTimeoutMs ?? 5000;
    this.logger = options.logger ?? createLogger('shutdown-sequence');
  }

  add(name: string, step: () => Promise<void>): void {
    if (this.running) throw new Error(`cannot add shutdown step "${name}": the sequence is already running`);
    this.steps.push({ name, run: step });
  }

  /** Runs once; later calls return the same promise. */
  run(): Promise<void> {
    this.running ??= this.runSteps();
    return this.running;
  }

  private async runSteps(): Promise<void> {
    for (const step of [...this.steps].reverse()) {
      const startedAt = performance.now();
      const outcome = await this.runBounded(step);
      const duration_ms = Math.round(performance.now() - startedAt);
      const logger = this.logger;
      if (outcome.kind === 'done') logger.debug({ step: step.name, duration_ms }, 'shutdown step done');
      else if (outcome.kind === 'failed') logger.error({ step: step.name, err: outcome.error }, 'shutdown step failed');
      else logger.error({ step: step.name, timeout_ms: this.stepTimeoutMs }, 'shutdown step timed out; moving on');
    }
  }

  private runBounded(step: Step): Promise<StepOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'timed out' }), this.stepTimeoutMs);
      timer.unref();
      Promise.resolve()
        .then(step.run)
        .then(
          () => resolve({ kind: 'done' }),
          (error: unknown) => resolve({ kind: 'failed', error }),
        )
        .finally(() => clearTimeout(timer));
    });
  }
}
