/**
 * The Kafka adapter's batched commits against a real broker: when offsets reach the group
 * coordinator, and that a member losing partitions in a rebalance commits what it finished
 * before the new owner starts. Every bus here commits on a 60 s interval, so a commit seen
 * within a test can only come from the trigger under test.
 */
import { describeWithInfra, findKafka, uniqueName, waitFor } from '@keel/testing';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventBus, IncomingMessage, OutgoingMessage, Subscription } from '../event-bus.js';
import { partitionForKey } from '../partitioning/murmur2.js';
import { createKafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus.js';

const kafka = await findKafka();
const partitions = 3;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (message: IncomingMessage) => decoder.decode(message.value);
const outgoing = (key: string, body: string): OutgoingMessage => ({ key, value: encoder.encode(body) });
/** `count` messages whose keys cover every partition, each body unique. */
const spread = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => outgoing(`acme:doc-${i}`, `${prefix}-${i}`));

describeWithInfra('kafka event bus offset commits', kafka, ({ brokers }) => {
  let admin: Admin;
  const buses: EventBus[] = [];

  beforeAll(async () => {
    admin = new Kafka({ brokers, clientId: 'keel-event-bus-test', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await Promise.allSettled(buses.map((bus) => bus.close()));
    await admin.disconnect();
  });

  function bus(options: Partial<KafkaEventBusOptions> = {}): EventBus {
    const created = createKafkaEventBus({
      brokers,
      clientId: uniqueName('keel-event-bus-test'),
      commitIntervalMs: 60_000,
      commitEveryMessages: 100_000,
      ...options,
    });
    buses.push(created);
    return created;
  }

  async function topic(on: EventBus): Promise<string> {
    const name = uniqueName('keel.contract.commits');
    await on.ensureTopics([{ name, partitions }]);
    return name;
  }

  /** The group's committed offset per partition ('-1' when none). */
  async function committed(groupId: string, name: string): Promise<string[]> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [name] });
    return Array.from(
      { length: partitions },
      (_, partition) => offsets?.partitions.find((entry) => entry.partition === partition)?.offset ?? '-1',
    );
  }

  async function logEnds(name: string): Promise<string[]> {
    const ends = await admin.fetchTopicOffsets(name);
    return Array.from(
      { length: partitions },
      (_, partition) => ends.find((entry) => entry.partition === partition)?.high ?? '0',
    );
  }

  const arrived = (description: string, probe: () => boolean) =>
    waitFor(description, () => probe() || undefined, { timeoutMs: 30_000, intervalMs: 20 });

  it('does not commit per message; stop() commits everything that was handled', async () => {
    const own = bus();
    const name = await topic(own);
    const groupId = uniqueName('g');
    const received: IncomingMessage[] = [];
    const subscription = await own.subscribe({
      groupId,
      topics: [name],
      handler: async (message) => void received.push(message),
    });
    await own.publish(name, spread('m', 30));
    await arrived('30 messages', () => received.length === 30);
    expect(await committed(groupId, name)).toEqual(['-1', '-1', '-1']);
    await subscription.stop();
    expect(await committed(groupId, name)).toEqual(await logEnds(name));
  });

  it('commits in the background once enough handled messages wait', async () => {
    const own = bus({ commitEveryMessages: 10 });
    const name = await topic(own);
    const groupId = uniqueName('g');
    const subscription = await own.subscribe({ groupId, topics: [name], handler: async () => {} });
    await own.publish(name, spread('m', 30));
    const ends = await logEnds(name);
    await waitFor(
      'the offsets of all 30 messages to be committed while the subscription runs',
      async () => JSON.stringify(await committed(groupId, name)) === JSON.stringify(ends),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await subscription.stop();
  });

  it('a member losing partitions while busy commits what it handled before the new owner starts', async () => {
    const first = bus();
    const name = await topic(first);
    const groupId = uniqueName('g');
    const messages = spread('m', 45);
    // Published before anyone subscribes: each partition arrives as one batch of about 15, which
    // takes the slow handler longer than a heartbeat interval, so the rebalance is noticed mid-batch.
    await first.publish(name, messages);
    const byFirst: IncomingMessage[] = [];
    const subscriptions: Subscription[] = [];
    subscriptions.push(
      await first.subscribe({
        groupId,
        topics: [name],
        handler: async (message) => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          byFirst.push(message);
        },
      }),
    );
    await arrived('the first member to be under way', () => byFirst.length >= 6);
    const bySecond: IncomingMessage[] = [];
    subscriptions.push(
      await bus().subscribe({ groupId, topics: [name], handler: async (message) => void bySecond.push(message) }),
    );
    await arrived('every message', () => new Set([...byFirst, ...bySecond].map(text)).size === messages.length);
    await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    const bodies = [...byFirst, ...bySecond].map(text);
    expect(bodies.length, 'deliveries (more means a redelivery)').toBe(messages.length);
    expect(bySecond.length).toBeGreaterThan(0);
  }, 60_000);

  it('a member losing partitions while idle commits what it handled before the new owner starts', async () => {
    const first = bus();
    const name = await topic(first);
    const groupId = uniqueName('g');
    const byFirst: IncomingMessage[] = [];
    const subscriptions: Subscription[] = [
      await first.subscribe({ groupId, topics: [name], handler: async (message) => void byFirst.push(message) }),
    ];
    const messages = spread('m', 30);
    await first.publish(name, messages);
    await arrived('30 messages', () => byFirst.length === messages.length);
    const bySecond: IncomingMessage[] = [];
    subscriptions.push(
      await bus().subscribe({ groupId, topics: [name], handler: async (message) => void bySecond.push(message) }),
    );
    // One sentinel per partition: each arrives after anything redelivered on its partition.
    const sentinels = Array.from({ length: partitions }, (_, partition) => {
      const key = messages.find((message) => partitionForKey(message.key, partitions) === partition)?.key ?? '';
      return outgoing(key, `sentinel-${partition}`);
    });
    await first.publish(name, sentinels);
    const all = () => [...byFirst, ...bySecond];
    await arrived('the sentinels', () => all().filter((message) => text(message).startsWith('sentinel')).length === 3);
    await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    expect(bySecond.length).toBeGreaterThan(0);
    expect(
      bySecond.map(text).filter((body) => !body.startsWith('sentinel')),
      'redelivered to the new owner',
    ).toEqual([]);
    expect(byFirst.length - messages.length, 'redelivered to the first member').toBe(
      byFirst.filter((message) => text(message).startsWith('sentinel')).length,
    );
  });
});
