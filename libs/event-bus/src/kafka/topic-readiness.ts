/**
 * Waiting until new topics can be used, without ERROR lines on the way.
 *
 * Between a topic's creation and its partitions' first leaders taking over, a broker answers
 * "unknown topic", "no leader" or "not the leader". kafkajs retries those answers itself (apart
 * from the admin's offset lookup, which gives up at once), yet logs every one of them at ERROR.
 * A metadata answer that names the leaders is not enough either: in KRaft mode a broker's
 * metadata names a partition's leader a moment before the broker serves that partition. So a
 * first subscribe with `fromBeginning: false`, which looks the log-end offsets up, failed with
 * NOT_LEADER_FOR_PARTITION when another service had created the topic a moment earlier. Only an
 * offset answer from every partition shows that produce, fetch and offset lookups will work.
 */
import type { Admin } from 'kafkajs';

/** kafkajs's messages for what a broker answers while a topic is being created (kafkajs 2.2.4). */
const settlingMessages = new Map([
  ['UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition'],
  [
    'LEADER_NOT_AVAILABLE',
    'There is no leader for this topic-partition as we are in the middle of a leadership election',
  ],
  ['NOT_LEADER_FOR_PARTITION', 'This server is not the leader for that topic-partition'],
]);
/**
 * Two services creating the same topics at once: the broker answers "already exists" per topic,
 * which kafkajs's createTopics treats as success, after logging the whole answer at ERROR under
 * its aggregate message. Any other creation error still fails the caller's ensureTopics.
 */
const createRaceMessages = ['Topic with this name already exists', 'Topic creation errors'];

/**
 * Whether some work is waiting for topics to come into being. While it is, the log routing
 * writes kafkajs's lines about the answers above at debug level: they are expected, retried,
 * and a failure still reaches the caller as an error.
 */
export class TopicSettling {
  #active = 0;

  get active(): boolean {
    return this.#active > 0;
  }

  async during<T>(work: () => Promise<T>): Promise<T> {
    this.#active++;
    try {
      return await work();
    } finally {
      this.#active--;
    }
  }
}

/** Whether a kafkajs log line's `error` is an answer given while a topic is being created. */
export function isTopicSettlingLogError(error: unknown): boolean {
  return (
    typeof error === 'string' && (createRaceMessages.includes(error) || [...settlingMessages.values()].includes(error))
  );
}

/** Whether a thrown kafkajs error (or what it wraps) is an answer given while a topic is being created. */
export function isTopicSettlingError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const { type, originalError, cause } = current as { type?: unknown; originalError?: unknown; cause?: unknown };
    if (typeof type === 'string' && settlingMessages.has(type)) return true;
    current = originalError ?? cause;
  }
  return false;
}

/**
 * Resolves once every partition of `topics` has a leader in the metadata and answers an offset
 * lookup; fails on any other error, or after `timeoutMs`. Each round refreshes the metadata, so
 * a leader that moves in between is followed.
 */
export async function waitUntilTopicsServe(admin: Admin, topics: readonly string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...new Set(topics)];
  let lastError: unknown;
  for (;;) {
    if (await leadersKnown(admin, pending)) {
      const lookups = await Promise.allSettled(pending.map((topic) => fetchTopicOffsets(admin, topic)));
      const stillPending: string[] = [];
      for (const [i, lookup] of lookups.entries()) {
        if (lookup.status === 'fulfilled') continue;
        if (!isTopicSettlingError(lookup.reason)) throw lookup.reason;
        lastError = lookup.reason;
        stillPending.push(pending[i] as string);
      }
      pending = stillPending;
      if (pending.length === 0) return;
    }
    if (Date.now() > deadline) {
      throw new Error(`topics ${pending.join(',')} have partitions without a serving leader after ${timeoutMs} ms`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const adminQueues = new WeakMap<Admin, Promise<unknown>>();

/**
 * Runs one admin request at a time per admin client. kafkajs keeps one metadata cache per client,
 * and `fetchTopicMetadata` replaces it with the topics it asked for: an offset lookup running at
 * the same time (it reads the cache between its two requests) then finds its topic missing and
 * fails with a TypeError on `high.pop()` / `low.pop()` (kafkajs 2.2.4).
 */
function oneAtATime<T>(admin: Admin, request: () => Promise<T>): Promise<T> {
  const previous = adminQueues.get(admin) ?? Promise.resolve();
  const result = previous.then(request);
  adminQueues.set(
    admin,
    result.catch(() => {}),
  );
  return result;
}

/** `admin.fetchTopicOffsets`, queued with this module's other requests on the same admin client. */
export function fetchTopicOffsets(admin: Admin, topic: string): ReturnType<Admin['fetchTopicOffsets']> {
  return oneAtATime(admin, () => admin.fetchTopicOffsets(topic));
}

async function leadersKnown(admin: Admin, topics: string[]): Promise<boolean> {
  try {
    const metadata = await oneAtATime(admin, () => admin.fetchTopicMetadata({ topics }));
    return metadata.topics.every(
      (topic) => topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0),
    );
  } catch (error) {
    if (isTopicSettlingError(error)) return false;
    throw error;
  }
}
