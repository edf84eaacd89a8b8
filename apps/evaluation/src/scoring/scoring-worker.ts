/**
 * A scoring worker thread (see scoring-pool.ts): scores the inputs it is sent, one at a time,
 * off the service's event loop. It imports nothing but the scorer, so it starts quickly.
 */
import { parentPort } from 'node:worker_threads';
import { type ScoreOptions, type ScoringInput, scoreAnswer } from './score-answer.js';

export interface ScoringTask {
  id: number;
  input: ScoringInput;
  options: ScoreOptions;
}

export type ScoringOutcome =
  | { id: number; scores: ReturnType<typeof scoreAnswer> }
  | { id: number; error: string }
  /** Sent once, when the scorer has loaded: the thread can work. */
  | { ready: true };

const port = parentPort;
if (port) {
  port.on('message', (task: ScoringTask) => {
    let outcome: ScoringOutcome;
    try {
      outcome = { id: task.id, scores: scoreAnswer(task.input, task.options) };
    } catch (error) {
      outcome = { id: task.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
    port.postMessage(outcome);
  });
  port.postMessage({ ready: true } satisfies ScoringOutcome);
}
