import { assertValidTopicName } from '../topic-name.js';
import { PartitionLog } from './partition-log.js';

/**
 * The embedded bus's topics. Like Kafka with auto-create on, a topic exists once it is used.
 * `onCreate` runs before a new topic is added (the durable bus records it there; if it throws,
 * the topic is not created).
 */
export class TopicStore {
  readonly #topics = new Map<string, PartitionLog[]>();

  constructor(
    readonly defaultPartitions: number,
    private readonly onCreate: (topic: string, partitions: number) => void = () => {},
  ) {
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
      this.onCreate(topic, partitionsIfCreated);
      partitions = Array.from({ length: partitionsIfCreated }, () => new PartitionLog());
      this.#topics.set(topic, partitions);
    }
    return partitions;
  }

  /** Puts back a topic read from the durable log, without recording it again. */
  restore(topic: string, partitions: PartitionLog[]): void {
    assertPartitionCount(partitions.length);
    this.#topics.set(topic, partitions);
  }

  entries(): IterableIterator<[string, PartitionLog[]]> {
    return this.#topics.entries();
  }
}

function assertPartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`a topic needs a positive integer number of partitions, got ${count}`);
  }
}
