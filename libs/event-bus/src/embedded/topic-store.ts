import { assertValidTopicName } from '../topic-name.js';
import { PartitionLog } from './partition-log.js';

/** The embedded bus's topics. Like Kafka with auto-create on, a topic exists once it is used. */
export class TopicStore {
  readonly #topics = new Map<string, PartitionLog[]>();

  constructor(readonly defaultPartitions: number) {
    assertPartitionCount(defaultPartitions);
  }

  get size(): number {
    return this.#topics.size;
  }

  /** The topic's partitions; creates the topic with `partitionsIfCreated` when it is missing. */
  partitionsOf(topic: string, partitionsIfCreated = this.defaultPartitions): PartitionLog[] {
    let partitions = this.#topics.get(topic);
    if (!partitions) {
      assertValidTopicName(topic);
      assertPartitionCount(partitionsIfCreated);
      partitions = Array.from({ length: partitionsIfCreated }, () => new PartitionLog());
      this.#topics.set(topic, partitions);
    }
    return partitions;
  }
}

function assertPartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`a topic needs a positive integer number of partitions, got ${count}`);
  }
}
