/**
 * The one contract every EventBus adapter passes: what the services rely on, stated as tests.
 * Each test uses its own topics and groups (uniqueName), so runs against a shared Kafka never
 * collide, and negative checks use a sentinel published after the fact on the same key (same
 * partition, so it arrives after anything that should not have arrived) instead of sleeping.
 */
import { deadLetterTopicOf } from '@keel/contracts';
import { uniqueName, waitFor } from '@keel/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterHeader } from '../delivery/dead-letter.js';
import type {
  EventBus,
  IncomingMessage,
  MessageHandler,
  OutgoingMessage,
  RetryPolicy,
  SubscribeOptions,
  Subscription,
} from '../event-bus.js';
import { partitionForKey } from '../partitioning/murmur2.js';

export interface EventBusContractOptions {
  /** How long a test waits for a message to arrive; a real broker needs more than memory. */
  timeoutMs?: number;
}

const partitions = 3;
/** Short backoffs keep the retry tests fast; the policy itself is unit-tested in delivery/. */
const fastRetry: Partial<RetryPolicy> = { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 40 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const text = (message: IncomingMessage) => decoder.decode(message.value);
const outgoing = (key: string, body: string, headers?: Record<string, string>): OutgoingMessage => ({
  key,
  value: encoder.encode(body),
  ...(headers ? { headers } : {}),
});

interface Recorder {
  received: IncomingMessage[];
  bodies(): string[];
  handler: MessageHandler;
}

function recorder(onMessage?: (message: IncomingMessage) => Promise<void>): Recorder {
  const received: IncomingMessage[] = [];
  return {
    received,
    bodies: () => received.map(text),
    handler: async (message) => {
      await onMessage?.(message);
      received.push(message);
    },
  };
}

class NonRetryableTestError extends Error {
  readonly code = 'TEST.NOT_RETRYABLE';
  readonly retryable = false;
}

export function describeEventBusContract(
  name: string,
  makeBus: () => Promise<EventBus>,
  options: EventBusContractOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 10_000;

  describe(name, () => {
    let bus: EventBus;
    const subscriptions: Subscription[] = [];

    beforeAll(async () => {
      bus = await makeBus();
    });
    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    });
    afterAll(async () => {
      await bus?.close();
    });

    async function topic(prefix = 'keel.contract'): Promise<string> {
      const name = uniqueName(prefix);
      await bus.ensureTopics([{ name, partitions }]);
      return name;
    }

    async function subscribe(options: SubscribeOptions): Promise<Subscription> {
      const subscription = await bus.subscribe(options);
      subscriptions.push(subscription);
      return subscription;
    }

    const arrived = (description: string, probe: () => boolean) =>
      waitFor(description, () => probe() || undefined, { timeoutMs, intervalMs: 20 });

    it('reports itself healthy', async () => {
      expect((await bus.health()).ok).toBe(true);
    });

    it('delivers what was published: topic, key, value, headers, partition by key, offset and time', async () => {
      const name = await topic();
      const got = recorder();
      await subscribe({ groupId: uniqueName('g'), topics: [name], handler: got.handler });
      const before = Date.now();
      await bus.publish(name, [
        outgoing('acme:doc-1', 'first', { 'keel-event-id': 'e-1', traceparent: 'x' }),
        outgoing('acme:doc-2', 'second'),
      ]);
      await arrived('both messages', () => got.received.length === 2);
      const first = got.received.find((message) => message.key === 'acme:doc-1');
      expect(first).toMatchObject({
        topic: name,
        key: 'acme:doc-1',
        headers: { 'keel-event-id': 'e-1', traceparent: 'x' },
      });
      expect(first && text(first)).toBe('first');
      expect(first?.value).toBeInstanceOf(Uint8Array);
      expect(first?.partition).toBe(partitionForKey('acme:doc-1', partitions));
      expect(first?.offset).toMatch(/^\d+$/);
      expect(first?.timestamp).toBeGreaterThanOrEqual(before - 1_000);
      expect(first?.timestamp).toBeLessThanOrEqual(Date.now() + 1_000);
      const second = got.received.find((message) => message.key === 'acme:doc-2');
      expect(second && text(second)).toBe('second');
      expect(second?.headers).toEqual({});
    });

    it('keeps the order of each key, across batches and separate publishes', async () => {
      const name = await topic();
      const got = recorder();
      await subscribe({ groupId: uniqueName('g'), topics: [name], handler: got.handler });
      const keys = ['acme:a', 'acme:b', 'acme:c', 'acme:d'];
      await bus.publish(
        name,
        Array.from({ length: 20 }, (_, i) => outgoing(keys[i % keys.length] ?? '', `batch-${i}`)),
      );
      for (let i = 0; i < 20; i++) await bus.publish(name, [outgoing(keys[i % keys.length] ?? '', `single-${i}`)]);
      await arrived('40 messages', () => got.received.length === 40);
      for (const key of keys) {
        const bodies = got.received.filter((message) => message.key === key).map(text);
        const expected = [
          ...Array.from({ length: 20 }, (_, i) => i)
            .filter((i) => keys[i % keys.length] === key)
            .map((i) => `batch-${i}`),
          ...Array.from({ length: 20 }, (_, i) => i)
            .filter((i) => keys[i % keys.length] === key)
            .map((i) => `single-${i}`),
        ];
        expect(bodies, key).toEqual(expected);
      }
      for (const message of got.received) {
        const samePartition = got.received.filter((other) => other.partition === message.partition);
        const offsets = samePartition.map((other) => BigInt(other.offset));
        expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }
    });

    it('delivers every message to every group', async () => {
      const name = await topic();
      const first = recorder();
      const second = recorder();
      await subscribe({ groupId: uniqueName('g1'), topics: [name], handler: first.handler });
      await subscribe({ groupId: uniqueName('g2'), topics: [name], handler: second.handler });
      const bodies = Array.from({ length: 12 }, (_, i) => `m-${i}`);
      await bus.publish(
        name,
        bodies.map((body, i) => outgoing(`acme:${i}`, body)),
      );
      await arrived('12 messages in each group', () => first.received.length === 12 && second.received.length === 12);
      expect(first.bodies().sort()).toEqual([...bodies].sort());
      expect(second.bodies().sort()).toEqual([...bodies].sort());
    });

    it('splits the partitions between the members of one group, without duplicates', async () => {
      const name = await topic();
      const groupId = uniqueName('g');
      const first = recorder();
      const second = recorder();
      await subscribe({ groupId, topics: [name], handler: first.handler });
      await subscribe({ groupId, topics: [name], handler: second.handler });
      const keys = Array.from({ length: 30 }, (_, i) => `acme:doc-${i}`);
      await bus.publish(
        name,
        keys.map((key) => outgoing(key, key)),
      );
      // One sentinel per partition, published afterwards: each arrives after everything before it.
      const sentinels = Array.from({ length: partitions }, (_, partition) => {
        const key = keys.find((candidate) => partitionForKey(candidate, partitions) === partition) ?? '';
        return outgoing(key, `sentinel-${partition}`);
      });
      await bus.publish(name, sentinels);
      const all = () => [...first.received, ...second.received];
      await arrived(
        '30 messages and 3 sentinels',
        () => all().filter((m) => text(m).startsWith('sentinel')).length === 3,
      );
      const bodies = all()
        .map(text)
        .filter((body) => !body.startsWith('sentinel'));
      expect(bodies.sort()).toEqual([...keys].sort());
      expect(first.received.length).toBeGreaterThan(0);
      expect(second.received.length).toBeGreaterThan(0);
      const firstPartitions = new Set(first.received.map((m) => m.partition));
      const secondPartitions = new Set(second.received.map((m) => m.partition));
      expect([...firstPartitions].filter((partition) => secondPartitions.has(partition))).toEqual([]);
    });

    it('continues a group after its last commit when a new member subscribes: no loss, no reprocessing', async () => {
      const name = await topic();
      const groupId = uniqueName('g');
      const key = 'acme:doc-1';
      const before = recorder();
      const subscription = await subscribe({ groupId, topics: [name], handler: before.handler });
      await bus.publish(name, [outgoing(key, 'm1'), outgoing(key, 'm2'), outgoing(key, 'm3')]);
      await arrived('m1..m3', () => before.received.length === 3);
      await subscription.stop();
      await bus.publish(name, [outgoing(key, 'm4'), outgoing(key, 'm5')]);
      const after = recorder();
      await subscribe({ groupId, topics: [name], handler: after.handler });
      await arrived('m4 and m5', () => after.received.length >= 2);
      // One key, one partition: had m1..m3 been redelivered they would have come first.
      expect(after.bodies()).toEqual(['m4', 'm5']);
      expect(before.bodies()).toEqual(['m1', 'm2', 'm3']);
    });

    it('retries a failing handler until it succeeds, without dead-lettering', async () => {
      const name = await topic();
      const key = 'acme:flaky';
      const dlq = recorder();
      await subscribe({ groupId: uniqueName('dlq'), topics: [deadLetterTopicOf(name)], handler: dlq.handler });
      let attempts = 0;
      const got = recorder(async () => {
        attempts += 1;
        if (attempts < 3) throw new Error(`transient failure ${attempts}`);
      });
      await subscribe({ groupId: uniqueName('g'), topics: [name], handler: got.handler, retry: fastRetry });
      await bus.publish(name, [outgoing(key, 'flaky')]);
      await arrived('the message after two failures', () => got.received.length === 1);
      expect(attempts).toBe(3);
      await bus.publish(deadLetterTopicOf(name), [outgoing(key, 'dlq-sentinel')]);
      await arrived('the DLQ sentinel', () => dlq.received.length > 0);
      expect(dlq.bodies()).toEqual(['dlq-sentinel']);
    });

    it('dead-letters a message that keeps failing, with the failure in headers, and moves on', async () => {
      const name = await topic();
      const groupId = uniqueName('g');
      const key = 'acme:poison';
      const dlq = recorder();
      await subscribe({ groupId: uniqueName('dlq'), topics: [deadLetterTopicOf(name)], handler: dlq.handler });
      let poisonAttempts = 0;
      const got = recorder(async (message) => {
        if (text(message) === 'poison') {
          poisonAttempts += 1;
          throw Object.assign(new Error('cannot parse the document'), { code: 'INGEST.PARSE_FAILED' });
        }
      });
      await subscribe({ groupId, topics: [name], handler: got.handler, retry: fastRetry });
      const before = Date.now();
      await bus.publish(name, [outgoing(key, 'poison', { 'keel-event-id': 'e-poison' }), outgoing(key, 'next')]);
      await arrived('the next message on the partition', () => got.received.length === 1);
      expect(got.bodies()).toEqual(['next']);
      expect(poisonAttempts).toBe(3);
      await arrived('the dead letter', () => dlq.received.length === 1);
      const [letter] = dlq.received;
      if (!letter) throw new Error('no dead letter');
      expect(letter.key).toBe(key);
      expect(text(letter)).toBe('poison');
      expect(letter.headers).toMatchObject({
        'keel-event-id': 'e-poison',
        [DeadLetterHeader.error]: 'cannot parse the document',
        [DeadLetterHeader.errorCode]: 'INGEST.PARSE_FAILED',
        [DeadLetterHeader.originalTopic]: name,
        [DeadLetterHeader.originalPartition]: String(partitionForKey(key, partitions)),
        [DeadLetterHeader.attempts]: '3',
        [DeadLetterHeader.consumerGroup]: groupId,
      });
      expect(letter.headers[DeadLetterHeader.originalOffset]).toMatch(/^\d+$/);
      const failedAt = Date.parse(letter.headers[DeadLetterHeader.failedAt] ?? '');
      expect(failedAt).toBeGreaterThanOrEqual(before - 1_000);
      expect(new Date(failedAt).toISOString()).toBe(letter.headers[DeadLetterHeader.failedAt]);
    });

    it('dead-letters a non-retryable error on the first attempt', async () => {
      const name = await topic();
      const dlq = recorder();
      await subscribe({ groupId: uniqueName('dlq'), topics: [deadLetterTopicOf(name)], handler: dlq.handler });
      let attempts = 0;
      await subscribe({
        groupId: uniqueName('g'),
        topics: [name],
        retry: { maxAttempts: 5, initialBackoffMs: 1_000, maxBackoffMs: 1_000 },
        handler: async () => {
          attempts += 1;
          throw new NonRetryableTestError('duplicate document');
        },
      });
      await bus.publish(name, [outgoing('acme:dup', 'dup')]);
      await arrived('the dead letter', () => dlq.received.length === 1);
      expect(attempts).toBe(1);
      expect(dlq.received[0]?.headers).toMatchObject({
        [DeadLetterHeader.attempts]: '1',
        [DeadLetterHeader.errorCode]: 'TEST.NOT_RETRYABLE',
        [DeadLetterHeader.error]: 'duplicate document',
      });
    });

    it('stop() waits for the in-flight handler and commits its offset', async () => {
      const name = await topic();
      const groupId = uniqueName('g');
      const key = 'acme:slow';
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started = false;
      const slow = recorder(async () => {
        started = true;
        await gate;
      });
      const subscription = await subscribe({ groupId, topics: [name], handler: slow.handler });
      await bus.publish(name, [outgoing(key, 'in-flight')]);
      await arrived('the handler to start', () => started);
      let stopped = false;
      const stopping = subscription.stop().then(() => {
        stopped = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(slow.bodies()).toEqual(['in-flight']);
      await bus.publish(name, [outgoing(key, 'after')]);
      const next = recorder();
      await subscribe({ groupId, topics: [name], handler: next.handler });
      await arrived('the message published after the stop', () => next.received.length >= 1);
      expect(next.bodies()).toEqual(['after']);
    });

    it('batch delivery: hands consecutive messages of a partition over together, in order, and commits them', async () => {
      const name = await topic();
      const groupId = uniqueName('g');
      const key = 'acme:batched';
      const bodies = Array.from({ length: 20 }, (_, index) => `m${index}`);
      await bus.publish(
        name,
        bodies.map((body) => outgoing(key, body)),
      );
      const batches: IncomingMessage[][] = [];
      const single = recorder();
      const first = await subscribe({
        groupId,
        topics: [name],
        handler: single.handler,
        batch: {
          maxMessages: 8,
          handler: async (messages) => {
            batches.push(messages);
            return [];
          },
        },
      });
      await arrived('every message in batches', () => batches.flat().length >= bodies.length);
      expect(batches.flat().map(text)).toEqual(bodies);
      expect(batches.every((batch) => batch.length <= 8)).toBe(true);
      expect(batches.some((batch) => batch.length > 1)).toBe(true);
      expect(new Set(batches.flat().map((message) => message.partition)).size).toBe(1);
      expect(single.received).toHaveLength(0);
      await first.stop();
      // Committed: a new member of the group sees only what comes next.
      const next = recorder();
      await subscribe({ groupId, topics: [name], handler: next.handler });
      await bus.publish(name, [outgoing(key, 'after')]);
      await arrived('the message after the batches', () => next.received.length >= 1);
      expect(next.bodies()).toEqual(['after']);
    });

    it('batch delivery: what the batch handler gives back, or a failed batch, goes through the handler with retries and dead-lettering', async () => {
      const name = await topic();
      const dlq = recorder();
      await subscribe({ groupId: uniqueName('dlq'), topics: [deadLetterTopicOf(name)], handler: dlq.handler });
      const key = 'acme:partly';
      const single: string[] = [];
      let throwBatch = false;
      const batched: string[] = [];
      await subscribe({
        groupId: uniqueName('g'),
        topics: [name],
        retry: fastRetry,
        handler: async (message) => {
          if (text(message) === 'poison') throw new NonRetryableTestError('poison document');
          single.push(text(message));
        },
        batch: {
          maxMessages: 10,
          handler: async (messages) => {
            if (throwBatch) throw new Error('the whole batch failed');
            batched.push(...messages.map(text));
            return messages.filter((message) => text(message) !== 'ok');
          },
        },
      });
      await bus.publish(
        name,
        ['ok', 'poison', 'retry-me', 'ok'].map((body) => outgoing(key, body)),
      );
      await arrived('the given-back messages', () => single.length >= 1 && dlq.received.length >= 1);
      expect(single).toEqual(['retry-me']);
      expect(dlq.bodies()).toEqual(['poison']);
      throwBatch = true;
      await bus.publish(
        name,
        ['a', 'b'].map((body) => outgoing(key, body)),
      );
      await arrived('the messages of the failed batch, one by one', () => single.length >= 3);
      expect(single).toEqual(['retry-me', 'a', 'b']);
    });

    it('batch delivery: a batch being handled holds its partition back (nothing piles up), then it goes on', async () => {
      const name = await topic();
      const key = 'acme:pressure';
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const handedOver: string[] = [];
      await subscribe({
        groupId: uniqueName('g'),
        topics: [name],
        handler: async () => {},
        batch: {
          maxMessages: 5,
          handler: async (messages) => {
            handedOver.push(...messages.map(text));
            await gate;
            return [];
          },
        },
      });
      await bus.publish(
        name,
        Array.from({ length: 30 }, (_, index) => outgoing(key, `p${index}`)),
      );
      await arrived('the first batch', () => handedOver.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(handedOver.length).toBeLessThanOrEqual(5);
      release();
      await arrived('every message once released', () => handedOver.length >= 30);
      expect(handedOver).toEqual(Array.from({ length: 30 }, (_, index) => `p${index}`));
    });

    it('starts at the end of the log for a new group with fromBeginning: false', async () => {
      const name = await topic();
      const key = 'acme:doc';
      await bus.publish(name, [outgoing(key, 'old')]);
      const got = recorder();
      await subscribe({ groupId: uniqueName('g'), topics: [name], handler: got.handler, fromBeginning: false });
      await bus.publish(name, [outgoing(key, 'new')]);
      await arrived('the new message', () => got.received.length >= 1);
      expect(got.bodies()).toEqual(['new']);
      const earliest = recorder();
      await subscribe({ groupId: uniqueName('g'), topics: [name], handler: earliest.handler });
      await arrived('both messages from the beginning', () => earliest.received.length >= 2);
      expect(earliest.bodies()).toEqual(['old', 'new']);
    });

    it('does not commit a message it cannot dead-letter: the subscription stops, health says so, a new member gets it', async () => {
      // Kafka caps topic names at 249 characters, so this topic's `.dlq` twin cannot exist.
      const prefix = uniqueName('keel.contract.undeliverable');
      const name = prefix + 'x'.repeat(249 - prefix.length);
      const groupId = uniqueName('g');
      const failing = await subscribe({
        groupId,
        topics: [name],
        retry: { maxAttempts: 1 },
        handler: async () => {
          throw new Error('always fails');
        },
      });
      await bus.publish(name, [outgoing('acme:stuck', 'stuck')]);
      const report = await waitFor(
        'health to report the stopped subscription',
        async () => {
          const health = await bus.health();
          return health.ok ? undefined : health;
        },
        { timeoutMs },
      );
      expect(report.detail).toMatch(/dead-letter/);
      await failing.stop();
      expect((await bus.health()).ok).toBe(true);
      const rescue = recorder();
      await subscribe({ groupId, topics: [name], handler: rescue.handler });
      await arrived('the redelivered message', () => rescue.received.length >= 1);
      expect(rescue.bodies()).toEqual(['stuck']);
    });

    it('close() stops its subscriptions and refuses new work', async () => {
      const own = await makeBus();
      const name = uniqueName('keel.contract');
      await own.ensureTopics([{ name, partitions }]);
      const got = recorder();
      await own.subscribe({ groupId: uniqueName('g'), topics: [name], handler: got.handler });
      await own.publish(name, [outgoing('acme:1', 'before close')]);
      await arrived('the message', () => got.received.length === 1);
      await own.close();
      await expect(own.publish(name, [outgoing('acme:1', 'after close')])).rejects.toThrow(/closed/);
      expect((await own.health()).ok).toBe(false);
    });
  });
}
