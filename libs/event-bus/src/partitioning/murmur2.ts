/**
 * Kafka's default partitioner: murmur2 of the key's bytes, made positive, modulo the partition
 * count. The embedded bus uses it so a key lands on the same partition number as it would on
 * Kafka (and in kafkajs's `Partitioners.DefaultPartitioner`), which keeps the two adapters
 * interchangeable for anything that reasons about partitions.
 */

const seed = 0x9747b28c;
const m = 0x5bd1e995;

/** Kafka's `Utils.murmur2`: a signed 32-bit hash of the bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (seed ^ length) | 0;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = (data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length % 4;
  if (tail === 3) h ^= (data[whole + 2] ?? 0) << 16;
  if (tail >= 2) h ^= (data[whole + 1] ?? 0) << 8;
  if (tail >= 1) {
    h ^= data[whole] ?? 0;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const encoder = new TextEncoder();

/** The partition Kafka's default partitioner picks for a UTF-8 key. */
export function partitionForKey(key: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partition count must be a positive integer, got ${partitionCount}`);
  }
  return (murmur2(encoder.encode(key)) & 0x7fffffff) % partitionCount;
}
