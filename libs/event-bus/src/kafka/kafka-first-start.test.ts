/**
 * A first start on topics nobody created yet, as when the services start together on a new
 * cluster: each creates the same topics at once, subscribes and publishes. kafkajs logs every
 * broker answer given while a topic is being created ("unknown topic", "no leader", "not the
 * leader") at ERROR, and its offset lookup gives up on them, so this used to log errors or fail.
 */
import { describeWithInfra, findKafka, uniqueName, waitFor } from '@keel/testing';
import { expect, it } from 'vitest';
import type { EventBus, IncomingMessage } from '../event-bus.js';
import type { EventBusLogger } from '../logger.js';
import { createKafkaEventBus } from './kafka-event-bus.js';

interface LogLine {
  bus: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string | undefined;
  fields: object;
}

function recordingLogger(bus: string, lines: LogLine[]): EventBusLogger {
  const record = (level: LogLine['level']) => (fields: object, message?: string) =>
    void lines.push({ bus, level, message, fields });
  return { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

describeWithInfra('kafka event bus, first start on new topics', await findKafka(), ({ brokers }) => {
  it('creates, subscribes and publishes from three services at once without an error or warning', async () => {
    const lines: LogLine[] = [];
    const run = uniqueName('keel.first-start');
    const shared = [0, 1, 2].map((i) => ({ name: `${run}.t${i}`, partitions: 3 }));
    const neverCreated = `${run}.auto-subscribed`;
    const publishedFirst = `${run}.auto-published`;
    const buses: EventBus[] = [0, 1, 2].map((i) =>
      createKafkaEventBus({ brokers, clientId: `${run}-svc${i}`, logger: recordingLogger(`svc${i}`, lines) }),
    );
    const received: IncomingMessage[] = [];
    const record = async (message: IncomingMessage) => void received.push(message);
    try {
      // Every service ensures the same topics at the same moment, then subscribes at once: the
      // start position lookup (fromBeginning: false) hits partitions whose leaders are new.
      const subscriptions = (
        await Promise.all(
          buses.map(async (bus, i) => {
            await bus.ensureTopics(shared);
            return Promise.all(
              shared.map((topic, t) =>
                bus.subscribe({
                  groupId: `${run}-g${i}-${t}`,
                  topics: [topic.name],
                  fromBeginning: (i + t) % 2 === 0,
                  handler: record,
                }),
              ),
            );
          }),
        )
      ).flat();
      // A subscription to a topic that only the broker's auto-create makes, and a publish that
      // creates one: both wait for a topic being created.
      const [first, second] = buses as [EventBus, EventBus, EventBus];
      subscriptions.push(
        await first.subscribe({
          groupId: `${run}-auto`,
          topics: [neverCreated],
          fromBeginning: false,
          handler: record,
        }),
      );
      await second.publish(publishedFirst, [{ key: 'k', value: new TextEncoder().encode('created by publish') }]);
      await second.publish(neverCreated, [{ key: 'k', value: new TextEncoder().encode('to the auto topic') }]);
      await Promise.all(
        shared.map((topic) => first.publish(topic.name, [{ key: 'k', value: new TextEncoder().encode(topic.name) }])),
      );

      // 3 topics x 3 groups, and the auto-created topic's subscriber.
      await waitFor('every subscriber to receive its message', () => received.length >= 10, { timeoutMs: 30_000 });
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    } finally {
      await Promise.all(buses.map((bus) => bus.close()));
    }

    expect(lines.filter((line) => line.level === 'error' || line.level === 'warn')).toEqual([]);
    expect(received).toHaveLength(10);
  }, 90_000);
});
