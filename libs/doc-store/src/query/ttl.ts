import type { Predicate } from './filter.js';

/**
 * The documents a read may see: no expiry, or an expiry still ahead. Expired means
 * `expiry <= now`, decided at the moment of the read, whether or not the purge has run.
 */
export function notExpiredPredicate(ttlField: string, now: number): Predicate {
  return {
    kind: 'or',
    predicates: [
      { kind: 'eq', field: ttlField, value: null },
      { kind: 'range', field: ttlField, operator: 'gt', value: now },
    ],
  };
}

export const DEFAULT_PURGE_INTERVAL_MS = 60_000;

export interface PurgeLoop {
  /** Runs one purge now (waiting for a running one first); resolves when it is done. */
  runNow(): Promise<void>;
  stop(): void;
}

/**
 * Deletes expired documents in the background. The timer is unref'd so it never keeps a process
 * alive, and ticks never overlap. Errors go to `onError`: reads already hide expired documents, so
 * a failed purge costs disk space, not correctness.
 */
export function startPurgeLoop(
  intervalMs: number,
  purge: () => Promise<void>,
  onError: (error: unknown) => void,
): PurgeLoop {
  let running: Promise<void> | undefined;
  const runNow = (): Promise<void> => {
    running ??= purge()
      .catch(onError)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void runNow(), intervalMs);
  timer.unref();
  return { runNow, stop: () => clearInterval(timer) };
}
