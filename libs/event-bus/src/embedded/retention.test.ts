import { describe, expect, it } from 'vitest';
import { PartitionLog } from './partition-log.js';
import { decideTrim, resolveRetention } from './retention.js';

/** A log of `count` messages, message i stamped at time i * 10. */
function logOf(count: number, startOffset = 0): PartitionLog {
  const log = new PartitionLog(startOffset);
  for (let i = 0; i < count; i++) {
    log.append({ key: 'k', value: new Uint8Array([i]), headers: {}, timestamp: (startOffset + i) * 10 });
  }
  return log;
}

const policy = resolveRetention({ maxAgeMs: 1_000_000, maxMessagesPerPartition: 100 });

describe('decideTrim', () => {
  it('keeps everything within the limits', () => {
    expect(decideTrim(logOf(10), undefined, policy, 100)).toEqual({ startOffset: 0 });
  });

  it('drops what is beyond the newest N of a partition no group reads', () => {
    expect(decideTrim(logOf(10), undefined, { ...policy, maxMessagesPerPartition: 3 }, 100)).toEqual({
      startOffset: 7,
    });
  });

  it('drops what is older than the age limit', () => {
    // Messages at 0, 10, ... 90; at time 100 with a 45 ms limit, 60 and later are young.
    expect(decideTrim(logOf(10), undefined, { ...policy, maxAgeMs: 45 }, 100)).toEqual({ startOffset: 6 });
  });

  it('never drops past the slowest group, and says which group held it back', () => {
    const decision = decideTrim(logOf(10), { groupId: 'slow', nextOffset: 4 }, { ...policy, maxAgeMs: 0 }, 100);
    expect(decision).toEqual({ startOffset: 4, heldBackBy: { groupId: 'slow', nextOffset: 4, wanted: 10 } });
  });

  it('drops everything every group has committed once it is old enough', () => {
    expect(decideTrim(logOf(10), { groupId: 'g', nextOffset: 10 }, { ...policy, maxAgeMs: 0 }, 100)).toEqual({
      startOffset: 10,
    });
  });

  it('never moves the start backwards', () => {
    const log = logOf(5, 20);
    expect(decideTrim(log, { groupId: 'g', nextOffset: 20 }, { ...policy, maxAgeMs: 0 }, 1_000)).toEqual({
      startOffset: 20,
      heldBackBy: { groupId: 'g', nextOffset: 20, wanted: 25 },
    });
  });
});

describe('PartitionLog trimming', () => {
  it('keeps offsets after the start moves, and hides what was deleted', () => {
    const log = logOf(5);
    expect(log.trimTo(3)).toBe(3);
    expect(log.startOffset).toBe(3);
    expect(log.endOffset).toBe(5);
    expect(log.at(2)).toBeUndefined();
    expect(log.at(3)?.value).toEqual(new Uint8Array([3]));
    expect(log.append({ key: 'k', value: new Uint8Array([5]), headers: {}, timestamp: 50 }).offset).toBe(5);
    expect(log.trimTo(100)).toBe(3);
    expect(log.startOffset).toBe(log.endOffset);
  });

  it('refuses a restored log with a gap', () => {
    const message = { key: 'k', value: new Uint8Array(), headers: {}, timestamp: 0 };
    expect(
      () =>
        new PartitionLog(3, [
          { ...message, offset: 3 },
          { ...message, offset: 5 },
        ]),
    ).toThrow(RangeError);
  });
});
