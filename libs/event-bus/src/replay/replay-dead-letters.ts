/**
 * Puts dead letters back: reads `<topic>.dlq` through a dedicated consumer group and
 * republishes each letter to its original topic, without the `keel-dlq-*` headers and with
 * `keel-replayed-from: <dlq topic>/<partition>/<offset>`. The group's committed offsets remember
 * what was replayed, so running it again replays only letters that arrived since.
 *
 * The port has no "end of log", so a run ends when the DLQ has been quiet for `idleMs`, when
 * `limit` letters are replayed, or on the first republish failure.
 */

import { randomUUID } from 'node:crypto';
import { deadLetterTopicOf } from '@keel/contracts';
import { DeadLetterHeader, replayedFromHeader, withoutDeadLetterHeaders } from '../delivery/dead-letter.js';
import type { EventBus, IncomingMessage, RetryPolicy } from '../event-bus.js';

export interface ReplayOptions {
  /** The original topic, e.g. `keel.ingest.requested.v1`; its letters are read from `<topic>.dlq`. */
  topic: string;
  /** Default `keel-dlq-replay.<topic>`: one group remembers what was replayed across runs. */
  groupId?: string;
  /** Replay at most this many letters; the rest stay in the DLQ, uncommitted, for the next run. */
  limit?: number;
  /**
   * Lists the letters without republishing. It reads the whole DLQ through a throwaway group,
   * so it shows everything there, including letters the replay group has already replayed.
   */
  dryRun?: boolean;
  /** How long the DLQ must stay quiet before the run counts as caught up; default 3 s. */
  idleMs?: number;
  /** Called for each letter as it is replayed (or listed in a dry run). */
  onLetter?: (letter: ReplayedLetter) => void;
}

export interface ReplayedLetter {
  /** Where it was republished (or would be, in a dry run). */
  targetTopic: string;
  /** `<dlq topic>/<partition>/<offset>`, also sent as the `keel-replayed-from` header. */
  from: string;
  key: string;
  error: string;
  errorCode: string;
  failedAt: string;
  attempts: number;
}

export interface ReplayReport {
  deadLetterTopic: string;
  groupId: string;
  dryRun: boolean;
  letters: ReplayedLetter[];
  /** True when the run ended because `limit` was reached (more letters may be waiting). */
  limitReached: boolean;
}

/**
 * A letter over the limit is refused with this (retryable) error: the run then stops, which
 * cancels the retry and leaves the letter uncommitted. Refusing by throwing never reaches the
 * DLQ-of-the-DLQ, because the attempt budget below is far larger than one stop takes.
 */
class ReplayHalted extends Error {
  constructor() {
    super('replay halted; letter left for the next run');
    this.name = 'ReplayHalted';
  }
}

const refusalRetry: Partial<RetryPolicy> = { maxAttempts: 1_000, initialBackoffMs: 1_000, maxBackoffMs: 5_000 };

export async function replayDeadLetters(bus: EventBus, options: ReplayOptions): Promise<ReplayReport> {
  const deadLetterTopic = deadLetterTopicOf(options.topic);
  const dryRun = options.dryRun ?? false;
  const groupId = dryRun
    ? `keel-dlq-dry-run.${options.topic}.${randomUUID()}`
    : (options.groupId ?? `keel-dlq-replay.${options.topic}`);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const idleMs = options.idleMs ?? 3_000;
  if (!(limit >= 0)) throw new RangeError(`limit must be >= 0, got ${options.limit}`);

  const letters: ReplayedLetter[] = [];
  let claimed = 0;
  let inFlight = 0;
  let lastActivity = Date.now();
  let failure: unknown;
  let halted = false;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const halt = () => {
    halted = true;
    finish();
  };

  const handler = async (message: IncomingMessage): Promise<void> => {
    lastActivity = Date.now();
    if (halted || claimed >= limit) {
      halt();
      throw new ReplayHalted();
    }
    claimed += 1;
    inFlight += 1;
    try {
      const letter = describeLetter(message, options.topic);
      if (!dryRun) {
        await bus.publish(letter.targetTopic, [
          {
            key: message.key,
            value: message.value,
            headers: { ...withoutDeadLetterHeaders(message.headers), [replayedFromHeader]: letter.from },
          },
        ]);
      }
      letters.push(letter);
      options.onLetter?.(letter);
      if (claimed >= limit) halt();
    } catch (error) {
      claimed -= 1;
      failure ??= error;
      halt();
      throw new ReplayHalted();
    } finally {
      inFlight -= 1;
      lastActivity = Date.now();
    }
  };

  const subscription = await bus.subscribe({
    groupId,
    topics: [deadLetterTopic],
    fromBeginning: true,
    retry: refusalRetry,
    handler,
  });
  lastActivity = Date.now();
  const idleCheck = setInterval(
    () => {
      if (inFlight === 0 && Date.now() - lastActivity >= idleMs) halt();
    },
    Math.min(100, idleMs),
  );
  if (limit === 0) halt();
  try {
    await finished;
  } finally {
    clearInterval(idleCheck);
    await subscription.stop();
  }
  if (failure !== undefined) throw failure;
  return { deadLetterTopic, groupId, dryRun, letters, limitReached: claimed >= limit };
}

function describeLetter(message: IncomingMessage, topic: string): ReplayedLetter {
  const headers = message.headers;
  return {
    targetTopic: headers[DeadLetterHeader.originalTopic] || topic,
    from: `${message.topic}/${message.partition}/${message.offset}`,
    key: message.key,
    error: headers[DeadLetterHeader.error] ?? '',
    errorCode: headers[DeadLetterHeader.errorCode] ?? '',
    failedAt: headers[DeadLetterHeader.failedAt] ?? '',
    attempts: Number(headers[DeadLetterHeader.attempts] ?? 0),
  };
}
