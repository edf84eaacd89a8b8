import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './murmur2.js';

const encoder = new TextEncoder();

describe('murmur2 partitioning', () => {
  it("matches the values of Kafka's own murmur2 test (UtilsTest.testMurmur2)", () => {
    expect(murmur2(encoder.encode('21'))).toBe(-973932308);
    expect(murmur2(encoder.encode('foobar'))).toBe(-790332482);
    expect(murmur2(encoder.encode('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(encoder.encode('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(encoder.encode('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(new Uint8Array([0x61, 0x62, 0x63]))).toBe(479470107);
  });

  it("puts keys on the same partitions as kafkajs's default partitioner", () => {
    const kafkajsPartitioner = Partitioners.DefaultPartitioner();
    const keys = ['acme:doc-1', 'acme:doc-2', 'globex:42', 'tenant-ü:文档', '', 'k', 'ab', 'abc', 'abcd', 'abcde'];
    for (const partitionCount of [1, 3, 7, 12]) {
      const partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }));
      for (const key of keys) {
        const expected = kafkajsPartitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
        expect(partitionForKey(key, partitionCount), `${key} over ${partitionCount}`).toBe(expected);
      }
    }
  });

  it('spreads keys over every partition', () => {
    const seen = new Set(Array.from({ length: 60 }, (_, i) => partitionForKey(`acme:doc-${i}`, 3)));
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });

  it('rejects a partition count that is not a positive integer', () => {
    expect(() => partitionForKey('k', 0)).toThrow(RangeError);
  });
});
