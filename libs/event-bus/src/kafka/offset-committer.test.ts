import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventBusLogger } from '../logger.js';
import {
  type CommitPolicy,
  defaultCommitPolicy,
  OffsetCommitter,
  type PartitionOffset,
  resolveCommitPolicy,
} from './offset-committer.js';

/** A commit function whose requests are recorded and answered by the test, one by one. */
function broker() {
  const requests: { offsets: PartitionOffset[]; answer(error?: Error): void }[] = [];
  return {
    requests,
    commit: (offsets: PartitionOffset[]) =>
      new Promise<void>((resolve, reject) => {
        requests.push({ offsets, answer: (error) => (error ? reject(error) : resolve()) });
      }),
    /** Answers every request so far with success. */
    acceptAll() {
      for (const request of requests) request.answer();
    },
  };
}

function committer(policy: Partial<CommitPolicy> = {}, commit = broker().commit) {
  const warnings: object[] = [];
  const logger: EventBusLogger = {
    debug: () => {},
    info: () => {},
    warn: (fields) => warnings.push(fields),
    error: () => {},
  };
  const offsets = new OffsetCommitter({
    policy: resolveCommitPolicy({ intervalMs: 100, everyMessages: 1_000, ...policy }),
    commit,
    logger,
    groupId: 'g',
  });
  return { offsets, warnings };
}

/** Lets pending promise callbacks run without moving the fake clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('OffsetCommitter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('commits the offset after the last finished message of each partition, in one request, after the interval', async () => {
    const kafka = broker();
    const { offsets } = committer({ intervalMs: 100 }, kafka.commit);
    offsets.markHandled('t', 0, '4');
    offsets.markHandled('t', 0, '5');
    offsets.markHandled('t', 2, '9007199254740993');
    offsets.markHandled('u', 0, '0');
    await vi.advanceTimersByTimeAsync(99);
    expect(kafka.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(kafka.requests.map((request) => request.offsets)).toEqual([
      [
        { topic: 't', partition: 0, offset: '6' },
        { topic: 't', partition: 2, offset: '9007199254740994' },
        { topic: 'u', partition: 0, offset: '1' },
      ],
    ]);
  });

  it('commits at once when enough finished messages wait', async () => {
    const kafka = broker();
    const { offsets } = committer({ intervalMs: 60_000, everyMessages: 3 }, kafka.commit);
    offsets.markHandled('t', 0, '0');
    offsets.markHandled('t', 1, '0');
    await settle();
    expect(kafka.requests).toHaveLength(0);
    offsets.markHandled('t', 0, '1');
    await settle();
    expect(kafka.requests.map((request) => request.offsets)).toEqual([
      [
        { topic: 't', partition: 0, offset: '2' },
        { topic: 't', partition: 1, offset: '1' },
      ],
    ]);
  });

  it('sends nothing when nothing is pending, and nothing twice', async () => {
    const kafka = broker();
    const { offsets } = committer({}, kafka.commit);
    await offsets.flush();
    expect(kafka.requests).toHaveLength(0);
    offsets.markHandled('t', 0, '7');
    const flushed = offsets.flush();
    await settle();
    kafka.acceptAll();
    await flushed;
    await offsets.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(kafka.requests).toHaveLength(1);
  });

  it('never moves an offset back: an older mark changes nothing', async () => {
    const kafka = broker();
    const { offsets } = committer({}, kafka.commit);
    offsets.markHandled('t', 0, '10');
    offsets.markHandled('t', 0, '3');
    const flushed = offsets.flush();
    await settle();
    kafka.acceptAll();
    await flushed;
    expect(kafka.requests[0]?.offsets).toEqual([{ topic: 't', partition: 0, offset: '11' }]);
  });

  it('keeps one commit in flight; what finishes meanwhile goes in the next, and flush waits for both', async () => {
    const kafka = broker();
    const { offsets } = committer({}, kafka.commit);
    offsets.markHandled('t', 0, '0');
    const first = offsets.flush();
    await settle();
    offsets.markHandled('t', 0, '1');
    offsets.markHandled('t', 1, '5');
    let flushed = false;
    const second = offsets.flush().then(() => {
      flushed = true;
    });
    const third = offsets.flush();
    await settle();
    expect(kafka.requests).toHaveLength(1);
    kafka.requests[0]?.answer();
    await first;
    await settle();
    expect(kafka.requests).toHaveLength(2);
    expect(kafka.requests[1]?.offsets).toEqual([
      { topic: 't', partition: 0, offset: '2' },
      { topic: 't', partition: 1, offset: '6' },
    ]);
    expect(flushed).toBe(false);
    kafka.requests[1]?.answer();
    await Promise.all([second, third]);
    expect(flushed).toBe(true);
  });

  it('keeps the offsets of a failed commit pending, logs it, and retries after the interval', async () => {
    const kafka = broker();
    const { offsets, warnings } = committer({ intervalMs: 100 }, kafka.commit);
    offsets.markHandled('t', 0, '0');
    const flushed = offsets.flush();
    await settle();
    kafka.requests[0]?.answer(new Error('NOT_COORDINATOR'));
    await flushed;
    expect(warnings).toEqual([expect.objectContaining({ group: 'g', err: expect.any(Error) })]);
    await vi.advanceTimersByTimeAsync(100);
    expect(kafka.requests).toHaveLength(2);
    expect(kafka.requests[1]?.offsets).toEqual([{ topic: 't', partition: 0, offset: '1' }]);
  });

  it('remembers what it finished, to skip messages fetched again after a rebalance', () => {
    const { offsets } = committer();
    expect(offsets.wasHandled('t', 0, '0')).toBe(false);
    offsets.markHandled('t', 0, '4');
    expect(offsets.wasHandled('t', 0, '3')).toBe(true);
    expect(offsets.wasHandled('t', 0, '4')).toBe(true);
    expect(offsets.wasHandled('t', 0, '5')).toBe(false);
    expect(offsets.wasHandled('t', 1, '0')).toBe(false);
  });

  it('after a rejoin as the same member, commits the partitions it kept and forgets the revoked ones', async () => {
    const kafka = broker();
    const { offsets } = committer({ intervalMs: 60_000 }, kafka.commit);
    offsets.joined('member-1', { t: [0, 1] });
    offsets.markHandled('t', 0, '4');
    offsets.markHandled('t', 1, '8');
    offsets.joined('member-1', { t: [1, 2] });
    await settle();
    expect(kafka.requests.map((request) => request.offsets)).toEqual([[{ topic: 't', partition: 1, offset: '9' }]]);
    expect(offsets.wasHandled('t', 0, '4')).toBe(false);
    expect(offsets.wasHandled('t', 1, '8')).toBe(true);
  });

  it('after a rejoin as a new member, forgets everything: others may have owned any partition meanwhile', async () => {
    const kafka = broker();
    const { offsets } = committer({ intervalMs: 60_000 }, kafka.commit);
    offsets.joined('member-1', { t: [0] });
    offsets.markHandled('t', 0, '4');
    offsets.joined('member-2', { t: [0] });
    await offsets.flush();
    expect(kafka.requests).toHaveLength(0);
    expect(offsets.wasHandled('t', 0, '4')).toBe(false);
  });

  it('close() commits what is pending and schedules nothing afterwards', async () => {
    const kafka = broker();
    const { offsets } = committer({ intervalMs: 100 }, kafka.commit);
    offsets.markHandled('t', 0, '0');
    const closed = offsets.close();
    await settle();
    kafka.acceptAll();
    await closed;
    offsets.markHandled('t', 0, '1');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(kafka.requests).toHaveLength(1);
  });
});

describe('commit policy', () => {
  it('defaults to 500 ms or 500 messages, whichever comes first', () => {
    expect(resolveCommitPolicy()).toEqual({ intervalMs: 500, everyMessages: 500 });
    expect(resolveCommitPolicy({ everyMessages: 20 })).toEqual({ ...defaultCommitPolicy, everyMessages: 20 });
  });

  it('rejects values that cannot work', () => {
    expect(() => resolveCommitPolicy({ intervalMs: 0 })).toThrow(/commitIntervalMs/);
    expect(() => resolveCommitPolicy({ intervalMs: Number.NaN })).toThrow(/commitIntervalMs/);
    expect(() => resolveCommitPolicy({ intervalMs: 2 ** 31 })).toThrow(/commitIntervalMs/);
    expect(() => resolveCommitPolicy({ everyMessages: 0 })).toThrow(/commitEveryMessages/);
    expect(() => resolveCommitPolicy({ everyMessages: 2.5 })).toThrow(/commitEveryMessages/);
  });
});
