/**
 * The committed offsets of every consumer group of the embedded bus, including groups with no
 * member in this process right now (restored from the durable log): retention must not delete
 * what any of them has yet to handle. `record` runs before an offset changes (the durable bus
 * writes it there; if it throws, the commit did not happen).
 */

type Recorder = (groupId: string, topic: string, partition: number, nextOffset: number) => void;

const partitionKey = (topic: string, partition: number) => `${topic}/${partition}`;

export class CommittedOffsets {
  /** topic/partition → group id → the next offset the group reads there. */
  readonly #byPartition = new Map<string, Map<string, number>>();

  constructor(private readonly record: Recorder = () => {}) {}

  get(groupId: string, topic: string, partition: number): number | undefined {
    return this.#byPartition.get(partitionKey(topic, partition))?.get(groupId);
  }

  commit(groupId: string, topic: string, partition: number, nextOffset: number): void {
    this.record(groupId, topic, partition, nextOffset);
    this.restore(groupId, topic, partition, nextOffset);
  }

  /** Sets an offset read from the durable log, without recording it again. */
  restore(groupId: string, topic: string, partition: number, nextOffset: number): void {
    const key = partitionKey(topic, partition);
    let groups = this.#byPartition.get(key);
    if (!groups) {
      groups = new Map();
      this.#byPartition.set(key, groups);
    }
    groups.set(groupId, nextOffset);
  }

  /** The group furthest behind on a partition; undefined when no group has an offset there. */
  slowest(topic: string, partition: number): { groupId: string; nextOffset: number } | undefined {
    let slowest: { groupId: string; nextOffset: number } | undefined;
    for (const [groupId, nextOffset] of this.#byPartition.get(partitionKey(topic, partition)) ?? []) {
      if (!slowest || nextOffset < slowest.nextOffset) slowest = { groupId, nextOffset };
    }
    return slowest;
  }
}
