/**
 * Scoring off the event loop. Scoring is CPU work (up to about a second for the largest input
 * allowed), and every service of `npm start` shares one process: on the event loop it would
 * stall every request and consumer of all six. A small pool of worker threads does it instead:
 *
 * - a fixed number of threads (default: the cores but one, at least one, at most four), each
 *   scoring one input at a time;
 * - a bounded queue: when every thread is busy and `maxQueue` requests already wait, an HTTP
 *   request is refused at once with 503 `EVALUATION.SCORING_BUSY` and `Retry-After`
 *   (`unavailable(...)`), rather than queueing without end. Callers that must not be refused
 *   (the event consumer: an event is never dropped for load) ask to `wait`; they are bounded
 *   anyway, one in flight per partition;
 * - a task that takes longer than `taskTimeoutMs` (a bug: inputs and work are bounded) ends its
 *   thread, fails with 503, and a new thread takes the place; so does a thread that crashes.
 *
 * Inputs are cut to SCORING_LIMITS before they are sent, so an oversized event costs no copy.
 * The threads do not keep the process alive while idle. They run scoring-worker.ts (see
 * workerEntry for how, from TypeScript sources).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { internalError, type KeelError, unavailable } from '@keel/platform';
import { type AnswerScores, type ScoreOptions, type ScoringInput, scoreAnswer } from './score-answer.js';
import { limitScoringInput } from './scoring-limits.js';
import type { ScoringOutcome, ScoringTask } from './scoring-worker.js';

export interface Admission {
  /**
   * Wait for a thread however long the queue is, instead of being refused when it is full: for
   * callers bounded on their own (the event consumer), never for requests from outside.
   */
  wait?: boolean;
}

/** Scores answers; the service's is a ScoringPool, tests and the CLI may score inline. */
export interface Scorer {
  score(input: ScoringInput, options?: ScoreOptions, admission?: Admission): Promise<AnswerScores>;
}

/** Scores on the calling thread: for the CLI (a process of its own) and unit tests. */
export const inlineScorer: Scorer = {
  score: async (input, options) => scoreAnswer(input, options),
};

export interface ScoringPoolOptions {
  /** Worker threads; default the cores but one, at least 1, at most 4. */
  threads?: number;
  /** Requests that may wait for a thread before new ones are refused; default 16. */
  maxQueue?: number;
  /** A task running longer fails with 503 and its thread is replaced; default 30 s. */
  taskTimeoutMs?: number;
}

export interface ScoringPool extends Scorer {
  readonly threads: number;
  /** Tasks waiting for a thread. */
  readonly queued: number;
  /** Refuses what waits, lets running tasks finish (at most `taskTimeoutMs`), ends the threads. */
  close(): Promise<void>;
}

export const SCORING_BUSY = 'EVALUATION.SCORING_BUSY';

const FROM_SOURCE = fileURLToPath(import.meta.url).endsWith('.ts');

/**
 * What a worker runs. Compiled, scoring-worker.js itself. From TypeScript sources, a CommonJS
 * bootstrap that registers tsx's require hook and requires scoring-worker.ts: on Node 20 a
 * worker cannot register ESM loader hooks of its own (`execArgv: ['--import', 'tsx']` fails
 * with "Unknown file extension .ts" unless the parent already runs through tsx), while a
 * require hook is plain JavaScript and works however the parent was started (tsx, vitest).
 */
function workerEntry(): { entry: URL | string; options: WorkerOptions } {
  if (!FROM_SOURCE) return { entry: new URL('./scoring-worker.js', import.meta.url), options: {} };
  const require = createRequire(import.meta.url);
  const bootstrap = [
    `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();`,
    `require(${JSON.stringify(fileURLToPath(new URL('./scoring-worker.ts', import.meta.url)))});`,
  ].join('\n');
  return { entry: bootstrap, options: { eval: true, execArgv: [] } };
}

interface Pending {
  task: ScoringTask;
  resolve: (scores: AnswerScores) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  running?: Pending;
  timer?: NodeJS.Timeout;
  /** The worker loaded the scorer (see scoring-worker.ts). */
  ready: boolean;
  /** Ending (timed out, crashed, closing) or not yet replaced: gets no new task. */
  retired: boolean;
  /** Ended by the pool (timeout, close), not by a failure of its own. */
  terminated?: boolean;
}

/** Respawning a thread that could not even start waits this long, doubling up to a minute. */
const RESPAWN_BACKOFF_MS = 500;
const RESPAWN_BACKOFF_MAX_MS = 60_000;

class WorkerScoringPool implements ScoringPool {
  readonly threads: number;
  private readonly maxQueue: number;
  private readonly taskTimeoutMs: number;
  private readonly workerEntry = workerEntry();
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly settled: (() => void)[] = [];
  private readonly respawns = new Set<NodeJS.Timeout>();
  private nextId = 1;
  private closing = false;
  /** Threads in a row that exited before they were ready, and why the last one did. */
  private startFailures = 0;
  private startError = '';

  constructor(options: ScoringPoolOptions) {
    this.threads = Math.max(1, Math.floor(options.threads ?? Math.min(4, availableParallelism() - 1)));
    this.maxQueue = Math.max(0, options.maxQueue ?? 16);
    this.taskTimeoutMs = options.taskTimeoutMs ?? 30_000;
    for (let index = 0; index < this.threads; index++) this.slots.push(this.spawn());
  }

  get queued(): number {
    return this.queue.length;
  }

  score(input: ScoringInput, options: ScoreOptions = {}, admission: Admission = {}): Promise<AnswerScores> {
    if (this.closing) return Promise.reject(unavailable('scoring', 'the service is shutting down'));
    if (this.slots.every((slot) => slot.retired)) return Promise.reject(this.cannotStart());
    const idle = this.slots.some((slot) => !slot.running && !slot.retired);
    if (!idle && !admission.wait && this.queue.length >= this.maxQueue) {
      return Promise.reject(
        unavailable(
          'scoring',
          `all ${this.threads} scoring threads are busy and ${this.queue.length} requests wait; retry later`,
          SCORING_BUSY,
        ),
      );
    }
    const limited = limitScoringInput(input);
    const task: ScoringTask = {
      id: this.nextId++,
      input: { answer: limited.input.answer, contexts: limited.input.contexts },
      options: { ...options, truncated: [...(options.truncated ?? []), ...limited.truncated] },
    };
    return new Promise<AnswerScores>((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const timer of this.respawns) clearTimeout(timer);
    for (const pending of this.queue.splice(0)) {
      pending.reject(unavailable('scoring', 'the service is shutting down'));
    }
    const deadline = Date.now() + this.taskTimeoutMs;
    while (this.slots.some((slot) => slot.running) && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.settled.push(resolve);
        setTimeout(resolve, 100).unref();
      });
    }
    await Promise.all(this.slots.map((slot) => this.stop(slot)));
  }

  private cannotStart(): KeelError {
    return unavailable('scoring', `no scoring thread could start${this.startError ? `: ${this.startError}` : ''}`);
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerEntry.entry, this.workerEntry.options);
    // An idle pool does not keep the process alive; a running task does (see run).
    worker.unref();
    const slot: Slot = { worker, ready: false, retired: false };
    worker.on('message', (outcome: ScoringOutcome) => this.finish(slot, outcome));
    worker.on('error', (error) => {
      slot.retired = true;
      if (slot.ready) {
        this.abort(slot, internalError(`a scoring thread failed: ${error.message}`));
        return;
      }
      // Not a fault of the input: the thread could not load (retryable, like a dependency).
      this.startError = error.message;
      this.abort(slot, this.cannotStart());
    });
    worker.on('exit', () => this.replace(slot));
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.running || slot.retired) continue;
      const pending = this.queue.shift();
      if (pending) this.run(slot, pending);
    }
  }

  private run(slot: Slot, pending: Pending): void {
    slot.running = pending;
    slot.worker.ref();
    slot.timer = setTimeout(() => {
      slot.retired = true;
      slot.terminated = true;
      this.abort(slot, unavailable('scoring', `no result within ${this.taskTimeoutMs} ms`));
      void slot.worker.terminate();
    }, this.taskTimeoutMs);
    slot.worker.postMessage(pending.task);
  }

  /** Takes the running task off a slot, if any; the slot is then free. */
  private release(slot: Slot): Pending | undefined {
    const pending = slot.running;
    if (slot.timer) clearTimeout(slot.timer);
    slot.running = undefined;
    slot.timer = undefined;
    slot.worker.unref();
    for (const notify of this.settled.splice(0)) notify();
    return pending;
  }

  private finish(slot: Slot, outcome: ScoringOutcome): void {
    if ('ready' in outcome) {
      slot.ready = true;
      this.startFailures = 0;
      return;
    }
    if (slot.running?.task.id !== outcome.id) return;
    const pending = this.release(slot);
    if ('error' in outcome) pending?.reject(internalError(`scoring failed: ${outcome.error.split('\n')[0]}`));
    else pending?.resolve(outcome.scores);
    this.dispatch();
  }

  private abort(slot: Slot, error: unknown): void {
    this.release(slot)?.reject(error);
  }

  /**
   * A thread ended (crash, timeout, close): fail its task and, unless closing, start another: at
   * once after a thread that worked, after a growing delay after one that could not even start
   * (a broken install must not spin), meanwhile refusing what waits when no thread is left.
   */
  private replace(slot: Slot): void {
    slot.retired = true;
    this.abort(slot, slot.ready || slot.terminated ? internalError('a scoring thread exited') : this.cannotStart());
    const index = this.slots.indexOf(slot);
    if (this.closing || index === -1) return;
    if (slot.ready || slot.terminated) {
      this.slots[index] = this.spawn();
      this.dispatch();
      return;
    }
    this.startFailures++;
    if (this.slots.every((other) => other.retired)) {
      for (const pending of this.queue.splice(0)) pending.reject(this.cannotStart());
    }
    const delay = Math.min(RESPAWN_BACKOFF_MAX_MS, RESPAWN_BACKOFF_MS * 2 ** (this.startFailures - 1));
    const timer = setTimeout(() => {
      this.respawns.delete(timer);
      if (this.closing || this.slots[index] !== slot) return;
      this.slots[index] = this.spawn();
      this.dispatch();
    }, delay);
    timer.unref();
    this.respawns.add(timer);
  }

  private async stop(slot: Slot): Promise<void> {
    slot.retired = true;
    slot.terminated = true;
    this.abort(slot, unavailable('scoring', 'the service is shutting down'));
    await slot.worker.terminate();
  }
}

export function createScoringPool(options: ScoringPoolOptions = {}): ScoringPool {
  return new WorkerScoringPool(options);
}
