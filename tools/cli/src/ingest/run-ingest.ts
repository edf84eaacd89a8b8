/**
 * Loads inputs with bounded concurrency: each input is read and hashed, skipped when the state
 * says it was indexed with the same hash, followed when it was accepted and not finished, else
 * submitted; then its job is polled until it is indexed, rejected or failed. The state is saved
 * as it goes and once more at the end, so an interruption (Ctrl-C, a crash) loses at most the
 * last second: the next run picks up where this one stopped.
 */

import type { IngestState } from './ingest-state.js';
import type { Input } from './inputs.js';
import { type KeelClient, Refused } from './keel-client.js';
import type { Counts, Progress } from './progress.js';

export interface IngestSummary extends Counts {
  total: number;
  /** Inputs sent to the API in this run (the others were unchanged, or followed from a previous run). */
  submitted: number;
  /** Inputs not reached because the run was interrupted. */
  notStarted: number;
  rejections: { source: string; reason: string }[];
  interrupted: boolean;
  seconds: number;
}

export interface RunOptions {
  concurrency: number;
  signal?: AbortSignal;
  pollIntervalMs?: number;
  /** Called after every finished input (tests interrupt a run with it). */
  onFinished?(summary: IngestSummary): void;
}

const SAVE_INTERVAL_MS = 1_000;
const TERMINAL = new Set(['indexed', 'rejected', 'failed']);

export async function runIngest(
  inputs: readonly Input[],
  deps: { client: KeelClient; state: IngestState; progress: Progress },
  options: RunOptions,
): Promise<IngestSummary> {
  const startedAt = Date.now();
  const summary: IngestSummary = {
    total: inputs.length,
    submitted: 0,
    indexed: 0,
    unchanged: 0,
    rejected: 0,
    failed: 0,
    notStarted: 0,
    rejections: [],
    interrupted: false,
    seconds: 0,
  };
  let done = 0;
  const saver = setInterval(() => void deps.state.save(), SAVE_INTERVAL_MS);
  const finish = (outcome: 'indexed' | 'unchanged' | 'rejected' | 'failed', source: string, reason?: string) => {
    summary[outcome] += 1;
    if (reason && (outcome === 'rejected' || outcome === 'failed')) summary.rejections.push({ source, reason });
    done += 1;
    deps.progress.update(done, summary);
    options.onFinished?.(summary);
  };

  let next = 0;
  const worker = async () => {
    while (next < inputs.length && !options.signal?.aborted) {
      const input = inputs[next++] as Input;
      await loadOne(input, deps, options, summary, finish);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    clearInterval(saver);
    await deps.state.save();
    deps.progress.stop();
  }
  summary.interrupted = options.signal?.aborted ?? false;
  summary.notStarted = inputs.length - done;
  summary.seconds = (Date.now() - startedAt) / 1000;
  return summary;
}

async function loadOne(
  input: Input,
  deps: { client: KeelClient; state: IngestState },
  options: RunOptions,
  summary: IngestSummary,
  finish: (outcome: 'indexed' | 'unchanged' | 'rejected' | 'failed', source: string, reason?: string) => void,
): Promise<void> {
  const { client, state } = deps;
  let loaded: Awaited<ReturnType<Input['load']>>;
  try {
    loaded = await input.load();
  } catch (error) {
    finish('rejected', input.source, (error as Error).message);
    return;
  }
  const previous = state.get(input.key);
  const documentId = loaded.payload.kind === 'json' ? loaded.payload.body.documentId : loaded.payload.documentId;
  if (previous?.hash === loaded.hash && previous.status === 'indexed') {
    finish('unchanged', input.source);
    return;
  }
  let jobIds: string[];
  if (previous?.hash === loaded.hash && previous.status === 'accepted' && previous.jobId) {
    // Accepted by an interrupted run: its job goes on without us, so it is followed, not sent again.
    jobIds = previous.jobId.split(',');
  } else {
    try {
      // Not aborted by Ctrl-C: a submission in flight finishes, so its job is known and the next run
      // follows it instead of sending the document again.
      jobIds = (await client.submit(loaded.payload)).jobIds;
      summary.submitted += 1;
    } catch (error) {
      const reason = (error as Error).message;
      if (error instanceof Refused) {
        state.set(input.key, { hash: loaded.hash, documentId, status: 'rejected', reason });
        finish('rejected', input.source, reason);
      } else {
        finish('failed', input.source, reason);
      }
      return;
    }
    state.set(input.key, { hash: loaded.hash, documentId, jobId: jobIds.join(','), status: 'accepted' });
  }
  let outcomes: Awaited<ReturnType<typeof followJob>>[];
  try {
    outcomes = await Promise.all(jobIds.map((jobId) => followJob(client, jobId, options)));
  } catch (error) {
    // Still accepted in the state: the next run follows the job again.
    finish('failed', input.source, `could not follow its job: ${(error as Error).message}`);
    return;
  }
  if (outcomes.some((outcome) => outcome === undefined)) return; // interrupted while waiting
  const refused = outcomes.find((outcome) => outcome?.status !== 'indexed');
  if (refused) {
    const reason = `${refused.code ? `${refused.code}: ` : ''}${refused.reason ?? refused.status}`;
    state.set(input.key, { hash: loaded.hash, documentId, status: 'rejected', reason });
    finish(refused.status === 'failed' ? 'failed' : 'rejected', input.source, reason);
    return;
  }
  state.set(input.key, { hash: loaded.hash, documentId, jobId: jobIds.join(','), status: 'indexed' });
  finish('indexed', input.source);
}

/** Polls a job until it is finished; undefined when the run was interrupted first. */
async function followJob(
  client: KeelClient,
  jobId: string,
  options: RunOptions,
): Promise<{ status: string; reason?: string; code?: string } | undefined> {
  let interval = options.pollIntervalMs ?? 100;
  while (!options.signal?.aborted) {
    let job: Awaited<ReturnType<KeelClient['job']>>;
    try {
      job = await client.job(jobId, options.signal);
    } catch (error) {
      if (options.signal?.aborted) return undefined;
      if (error instanceof Refused) return { status: 'failed', reason: `job ${jobId}: ${error.message}` };
      throw error;
    }
    if (TERMINAL.has(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, interval));
    interval = Math.min(interval * 1.5, 1_000);
  }
  return undefined;
}
