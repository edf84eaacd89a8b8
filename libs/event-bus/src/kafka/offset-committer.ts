/**
 * Batched offset commits for one Kafka subscription. The consumer reports every message it has
 * finished (handled, or dead-lettered); the committer sends the highest finished offset + 1 of
 * each partition, all partitions in one request, at most `intervalMs` after a message finished or
 * as soon as `everyMessages` finished messages wait, and whenever it is flushed (stop, rebalance,
 * failure). One commit is in flight at a time, so the offsets the group stores only move forward.
 *
 * It also remembers how far this member has handled each partition it has owned without a break:
 * after a rebalance kafkajs resumes a retained partition from the last *committed* offset, and the
 * messages between that and the handled mark, already handled here, are skipped rather than
 * delivered twice.
 */
import type { EventBusLogger } from '../logger.js';

/** When finished messages are committed: whichever comes first. */
export interface CommitPolicy {
  /** Longest time a finished message waits for its commit; default 500 ms. */
  intervalMs: number;
  /** Commit at once when this many finished messages wait; default 500. */
  everyMessages: number;
}

export const defaultCommitPolicy: Readonly<CommitPolicy> = Object.freeze({ intervalMs: 500, everyMessages: 500 });

export function resolveCommitPolicy(overrides: Partial<CommitPolicy> = {}): CommitPolicy {
  const policy: CommitPolicy = {
    intervalMs: overrides.intervalMs ?? defaultCommitPolicy.intervalMs,
    everyMessages: overrides.everyMessages ?? defaultCommitPolicy.everyMessages,
  };
  // setTimeout treats anything above 2^31-1 ms as 1 ms.
  if (!(policy.intervalMs > 0 && policy.intervalMs <= 2 ** 31 - 1)) {
    throw new RangeError(`commitIntervalMs must be > 0 and <= 2147483647, got ${policy.intervalMs}`);
  }
  if (!Number.isInteger(policy.everyMessages) || policy.everyMessages < 1) {
    throw new RangeError(`commitEveryMessages must be an integer >= 1, got ${policy.everyMessages}`);
  }
  return policy;
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to consume, as Kafka commits it. */
  offset: string;
}

export interface OffsetCommitterOptions {
  policy: CommitPolicy;
  /** Stores the offsets with the group coordinator; resolves once the broker has them. */
  commit(offsets: PartitionOffset[]): Promise<void>;
  logger: EventBusLogger;
  groupId: string;
}

interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  /** The offset after the last message this member finished. */
  handled: bigint;
  /** The offset this member last stored with the coordinator for this partition. */
  committed: bigint | undefined;
}

export class OffsetCommitter {
  readonly #progress = new Map<string, PartitionProgress>();
  #waitingMessages = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #memberId: string | undefined;
  #closed = false;

  constructor(private readonly options: OffsetCommitterOptions) {}

  /** A message was handled or dead-lettered: its offset may be committed. */
  markHandled(topic: string, partition: number, offset: string): void {
    const next = BigInt(offset) + 1n;
    const key = partitionKey(topic, partition);
    const progress = this.#progress.get(key);
    if (!progress) {
      this.#progress.set(key, { topic, partition, handled: next, committed: undefined });
    } else if (next > progress.handled) {
      progress.handled = next;
    } else {
      return;
    }
    this.#waitingMessages += 1;
    if (this.#waitingMessages >= this.options.policy.everyMessages) void this.flush();
    else this.#schedule();
  }

  /** Whether this member already finished the message (it is being fetched again after a rebalance). */
  wasHandled(topic: string, partition: number, offset: string): boolean {
    const progress = this.#progress.get(partitionKey(topic, partition));
    return progress !== undefined && BigInt(offset) < progress.handled;
  }

  /**
   * The consumer (re)joined its group. With the same member id it was part of every generation in
   * between, so the partitions it keeps were its own throughout: their marks stay and are committed
   * under the new generation. Revoked partitions are forgotten: the new owner starts from their last
   * commit, and committing later could move its offsets back. A new member id (session expired,
   * consumer restarted) means others may have owned any partition meanwhile: everything is forgotten.
   */
  joined(memberId: string, assignment: Readonly<Record<string, readonly number[]>>): void {
    if (memberId !== this.#memberId) {
      this.#progress.clear();
    } else {
      for (const [key, progress] of this.#progress) {
        if (!assignment[progress.topic]?.includes(progress.partition)) this.#progress.delete(key);
      }
    }
    this.#memberId = memberId;
    if (this.#pending().length > 0) void this.flush();
  }

  /**
   * Commits everything finished before the call; resolves when that commit has been answered.
   * Never rejects: a failed commit is logged and its offsets stay pending for the next attempt.
   */
  flush(): Promise<void> {
    if (this.#queued) return this.#queued;
    if (!this.#inFlight) {
      const sending: Promise<void> = this.#send().finally(() => {
        if (this.#inFlight === sending) this.#inFlight = undefined;
      });
      this.#inFlight = sending;
      return sending;
    }
    // Offsets finished during the commit in flight go in one more, sent when it ends.
    const queued = this.#inFlight.then(() => {
      this.#queued = undefined;
      return this.flush();
    });
    this.#queued = queued;
    return queued;
  }

  /** Stops the timer and commits what is pending; later marks are no longer scheduled. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #schedule(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.options.policy.intervalMs);
    // A pending commit alone must not keep a process alive; stop() and close() flush explicitly.
    this.#timer.unref();
  }

  #pending(): { progress: PartitionProgress; offset: bigint }[] {
    return [...this.#progress.values()]
      .filter((progress) => progress.committed === undefined || progress.handled > progress.committed)
      .map((progress) => ({ progress, offset: progress.handled }));
  }

  async #send(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending();
    if (batch.length === 0) return;
    this.#waitingMessages = 0;
    const offsets = batch.map(({ progress, offset }) => ({
      topic: progress.topic,
      partition: progress.partition,
      offset: offset.toString(),
    }));
    try {
      await this.options.commit(offsets);
      for (const { progress, offset } of batch) {
        if (progress.committed === undefined || offset > progress.committed) progress.committed = offset;
      }
    } catch (error) {
      this.options.logger.warn(
        { group: this.options.groupId, offsets, err: error },
        'offset commit failed; retrying, and the messages are delivered again if the partitions move first',
      );
    }
    if (this.#pending().length > 0) this.#schedule();
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
