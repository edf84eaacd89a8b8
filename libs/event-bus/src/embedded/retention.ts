/**
 * Retention of the embedded bus: which messages may be deleted from the front of a partition.
 * A message goes once it is old (older than `maxAgeMs`, or behind the newest
 * `maxMessagesPerPartition`) AND every consumer group with an offset on its partition has
 * committed past it. So retention never takes a message a group has yet to handle: an accepted
 * request is not dropped unread, however long its consumer is down. A partition no group reads
 * (a `.dlq` topic, an event nobody subscribes to) is trimmed by age and count alone, as Kafka's
 * `retention.ms` would. The price: a group that stays far behind, or that is never started again
 * after having committed, keeps its partitions' backlog (and the bus logs a warning naming it).
 */
import type { CommittedOffsets } from './committed-offsets.js';
import type { PartitionLog } from './partition-log.js';

export interface RetentionOptions {
  /** Messages older than this may go (see above); default 7 days, Kafka's `retention.ms`. */
  maxAgeMs?: number;
  /** Messages behind the newest N of their partition may go (see above); default 10,000. */
  maxMessagesPerPartition?: number;
  /** How often the log is trimmed, besides once when the durable bus opens; default 60 s. */
  intervalMs?: number;
}

export type RetentionPolicy = Required<RetentionOptions>;

export const defaultRetention: RetentionPolicy = {
  maxAgeMs: 7 * 24 * 60 * 60 * 1_000,
  maxMessagesPerPartition: 10_000,
  intervalMs: 60_000,
};

export function resolveRetention(options: RetentionOptions = {}): RetentionPolicy {
  const policy = { ...defaultRetention, ...definedOnly(options) };
  for (const [name, value] of Object.entries(policy)) {
    const least = name === 'maxAgeMs' ? 0 : 1;
    if (!Number.isFinite(value) || value < least) {
      throw new RangeError(`retention.${name} must be a finite number of at least ${least}, got ${value}`);
    }
  }
  return policy;
}

export interface TrimDecision {
  /** The new log-start offset; equal to the current one when nothing goes. */
  startOffset: number;
  /** Set when a group's offset kept messages that age or count would have deleted. */
  heldBackBy?: { groupId: string; nextOffset: number; wanted: number };
}

export function decideTrim(
  log: PartitionLog,
  slowest: ReturnType<CommittedOffsets['slowest']>,
  policy: RetentionPolicy,
  now: number,
): TrimDecision {
  const wanted = Math.max(
    log.endOffset - policy.maxMessagesPerPartition,
    log.firstOffsetAtOrAfter(now - policy.maxAgeMs),
  );
  const allowed = Math.min(wanted, slowest?.nextOffset ?? Number.POSITIVE_INFINITY);
  const startOffset = Math.max(log.startOffset, Math.min(allowed, log.endOffset));
  if (slowest && wanted > slowest.nextOffset && slowest.nextOffset >= log.startOffset) {
    return { startOffset, heldBackBy: { ...slowest, wanted } };
  }
  return { startOffset };
}

function definedOnly(options: RetentionOptions): RetentionOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
