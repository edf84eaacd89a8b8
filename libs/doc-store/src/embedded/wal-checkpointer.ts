/**
 * Checkpoints of a WAL-mode SQLite file, moved off the thread that writes it. SQLite's automatic
 * checkpoint runs inside the commit that crosses the threshold (1,000 pages) and fsyncs the log
 * and the database file there: on a busy disk that commit takes 2-40 ms instead of 0.03 ms, and
 * with better-sqlite3 the whole event loop waits. Measured on this machine, 20,000 upserts spent
 * 72 % of their time in such commits. Here a worker thread with its own connection to the same
 * file runs a PASSIVE checkpoint every `intervalMs` (it never blocks writers; synchronous = NORMAL
 * as the writer's, so a checkpoint fsyncs exactly as before and durability does not change). The
 * writer keeps an automatic checkpoint at a much higher threshold, as a safety net should the
 * worker fall behind or be unable to start.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 250;
/** The writer's own automatic checkpoint while a checkpointer runs (pages; SQLite's default is 1,000). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

export interface WalCheckpointer {
  /** Runs a last checkpoint and ends the worker. */
  stop(): Promise<void>;
}

// Plain CommonJS evaluated in the worker: no loader or build step is needed to start it.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export function startWalCheckpointer(options: {
  path: string;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}): WalCheckpointer {
  const onError = options.onError ?? (() => undefined);
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path: options.path,
      intervalMs: options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
    },
  });
  // Never what keeps a process alive.
  worker.unref();
  worker.on('message', (message: { error?: string }) => {
    if (message.error) onError(new Error(`WAL checkpoint failed: ${message.error}`));
  });
  worker.on('error', onError);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.postMessage('stop');
      const forced = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(forced);
    },
  };
}
