/**
 * An embedded consumer group: the members sharing the partitions (its committed offsets live in
 * the bus's `CommittedOffsets`, next to every other group's). Membership changes rebalance the
 * group one at a time: partitions that change owner are first drained (the old owner's in-flight
 * message finishes and commits), then the new owner starts from the committed offset, which is
 * how uncommitted messages get redelivered.
 */
import type { OutgoingMessage } from '../event-bus.js';
import type { EventBusLogger } from '../logger.js';
import type { CommittedOffsets } from './committed-offsets.js';
import { type GroupMember, PartitionWorker, type WorkerContext } from './partition-worker.js';
import type { TopicStore } from './topic-store.js';

export interface ConsumerGroupDependencies {
  readonly topics: TopicStore;
  readonly offsets: CommittedOffsets;
  readonly logger: EventBusLogger;
  publishDeadLetter(topic: string, message: OutgoingMessage): Promise<void>;
}

interface Assignment {
  member: GroupMember;
  topic: string;
  partition: number;
}

const partitionKey = (topic: string, partition: number) => `${topic}/${partition}`;

export class ConsumerGroup {
  readonly #members: GroupMember[] = [];
  readonly #workers = new Map<string, PartitionWorker>();
  #rebalancing: Promise<void> = Promise.resolve();
  readonly #context: WorkerContext;

  constructor(
    readonly groupId: string,
    private readonly dependencies: ConsumerGroupDependencies,
  ) {
    this.#context = {
      groupId,
      logger: dependencies.logger,
      publishDeadLetter: (topic, message) => dependencies.publishDeadLetter(topic, message),
      committedOffset: (topic, partition) => dependencies.offsets.get(groupId, topic, partition) ?? 0,
      commit: (topic, partition, nextOffset) => dependencies.offsets.commit(groupId, topic, partition, nextOffset),
    };
  }

  get memberCount(): number {
    return this.#members.length;
  }

  /** Resolves once the new member owns its partitions, positioned where it will start reading. */
  join(member: GroupMember): Promise<void> {
    this.#members.push(member);
    return this.#rebalance();
  }

  /** Resolves once the member's in-flight messages are committed and its partitions handed over. */
  leave(member: GroupMember): Promise<void> {
    const index = this.#members.indexOf(member);
    if (index >= 0) this.#members.splice(index, 1);
    return this.#rebalance();
  }

  #rebalance(): Promise<void> {
    const rebalanced = this.#rebalancing.then(() => this.#applyAssignment());
    // A failed rebalance (the durable log could not record a starting offset) fails its own
    // join or leave, not every later one.
    this.#rebalancing = rebalanced.catch(() => undefined);
    return rebalanced;
  }

  async #applyAssignment(): Promise<void> {
    const desired = this.#assign();
    const revoked: Promise<void>[] = [];
    for (const [key, worker] of this.#workers) {
      if (desired.get(key)?.member !== worker.member) {
        this.#workers.delete(key);
        revoked.push(worker.stop());
      }
    }
    await Promise.all(revoked);
    for (const [key, { member, topic, partition }] of desired) {
      if (this.#workers.has(key)) continue;
      const log = this.dependencies.topics.partitionsOf(topic)[partition];
      if (!log) continue;
      if (this.dependencies.offsets.get(this.groupId, topic, partition) === undefined) {
        // Pin where a group without a committed offset starts, now, so that a subscriber with
        // fromBeginning: false sees everything published after its subscribe() resolved (and,
        // on the durable bus, still does after a restart that comes before its first message).
        this.dependencies.offsets.commit(
          this.groupId,
          topic,
          partition,
          member.fromBeginning ? log.startOffset : log.endOffset,
        );
      }
      this.#workers.set(key, new PartitionWorker(member, topic, partition, log, this.#context));
    }
    this.dependencies.logger.debug(
      { group: this.groupId, members: this.#members.length, partitions: this.#workers.size },
      'embedded consumer group rebalanced',
    );
  }

  /** Round-robin per topic over the members subscribed to it, in the order they joined. */
  #assign(): Map<string, Assignment> {
    const assignment = new Map<string, Assignment>();
    const topics = new Set(this.#members.flatMap((member) => member.topics));
    for (const topic of topics) {
      const candidates = this.#members.filter((member) => member.topics.includes(topic));
      const partitions = this.dependencies.topics.partitionsOf(topic).length;
      for (let partition = 0; partition < partitions; partition++) {
        const member = candidates[partition % candidates.length];
        if (member) assignment.set(partitionKey(topic, partition), { member, topic, partition });
      }
    }
    return assignment;
  }
}
