import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deadLetterTopicOf } from '@keel/contracts';
import { describeWithInfra, findKafka, uniqueName, waitFor } from '@keel/testing';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DeadLetterHeader, replayedFromHeader } from '../delivery/dead-letter.js';
import type { IncomingMessage } from '../event-bus.js';
import type { EventBusLogger } from '../logger.js';
import { describeEventBusContract } from '../testing/event-bus-contract.js';
import { KafkaUnavailableError } from './kafka-errors.js';
import { createKafkaEventBus } from './kafka-event-bus.js';

const kafka = await findKafka();

describeWithInfra('kafka event bus', kafka, ({ brokers }) => {
  describeEventBusContract(
    'EventBus contract on Kafka',
    async () => createKafkaEventBus({ brokers, clientId: uniqueName('keel-event-bus-test') }),
    { timeoutMs: 30_000 },
  );

  it('creates topics with their partition counts and .dlq twins, and tolerates existing ones', async () => {
    const bus = createKafkaEventBus({ brokers, clientId: 'keel-event-bus-test' });
    const name = uniqueName('keel.contract.ensure');
    await bus.ensureTopics([{ name, partitions: 5 }]);
    await bus.ensureTopics([{ name, partitions: 5 }, { name: `${name}-2` }]);
    const admin = new Kafka({ brokers, clientId: 'keel-event-bus-test', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({
        topics: [name, deadLetterTopicOf(name), `${name}-2`, deadLetterTopicOf(`${name}-2`)],
      });
      expect(Object.fromEntries(topics.map((topic) => [topic.name, topic.partitions.length]))).toEqual({
        [name]: 5,
        [deadLetterTopicOf(name)]: 5,
        [`${name}-2`]: 3,
        [deadLetterTopicOf(`${name}-2`)]: 3,
      });
    } finally {
      await admin.disconnect();
      await bus.close();
    }
  });

  it('replays dead letters with the command-line tool', async () => {
    const bus = createKafkaEventBus({ brokers, clientId: 'keel-event-bus-test' });
    const topic = uniqueName('keel.contract.replay');
    await bus.ensureTopics([{ name: topic, partitions: 3 }]);
    const letters: IncomingMessage[] = [];
    const watcher = await bus.subscribe({
      groupId: uniqueName('dlq-watch'),
      topics: [deadLetterTopicOf(topic)],
      handler: async (message) => void letters.push(message),
    });
    const failing = await bus.subscribe({
      groupId: uniqueName('g'),
      topics: [topic],
      retry: { maxAttempts: 1 },
      handler: async () => {
        throw new Error('downstream refused');
      },
    });
    await bus.publish(topic, [
      { key: 'acme:doc-9', value: new TextEncoder().encode('replay me'), headers: { a: 'b' } },
    ]);
    await waitFor('the dead letter', () => letters.length === 1, { timeoutMs: 30_000 });
    await Promise.all([failing.stop(), watcher.stop()]);

    const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
    const { stdout } = await promisify(execFile)(
      'npx',
      [
        'tsx',
        'libs/event-bus/src/replay/cli.ts',
        '--topic',
        topic,
        '--brokers',
        brokers.join(','),
        '--idle-ms',
        '1500',
      ],
      { cwd: repositoryRoot, env: { ...process.env, KAFKA_BROKERS: '' } },
    );
    expect(stdout).toContain(`-> ${topic} key=acme:doc-9 code=Error attempts=1`);
    expect(stdout).toContain(`replayed 1 message(s) from ${deadLetterTopicOf(topic)}`);

    const onTopic: IncomingMessage[] = [];
    const reader = await bus.subscribe({
      groupId: uniqueName('reader'),
      topics: [topic],
      handler: async (message) => void onTopic.push(message),
    });
    await waitFor('the original and the replayed message', () => onTopic.length === 2, { timeoutMs: 30_000 });
    await reader.stop();
    const replayed = onTopic.find((message) => message.headers[replayedFromHeader]);
    expect(replayed?.headers).toEqual({ a: 'b', [replayedFromHeader]: expect.stringMatching(/\.dlq\/\d\/0$/) });
    expect(replayed && new TextDecoder().decode(replayed.value)).toBe('replay me');
    expect(letters[0]?.headers[DeadLetterHeader.error]).toBe('downstream refused');
    await bus.close();
  }, 60_000);

  it('reports the cluster in health()', async () => {
    const bus = createKafkaEventBus({ brokers, clientId: 'keel-event-bus-test' });
    const report = await bus.health();
    expect(report.ok).toBe(true);
    expect(report.detail).toMatch(/1 broker\(s\)|\d+ broker\(s\)/);
    await bus.close();
  });
});

describe('kafka event bus without a broker', () => {
  // Nothing listens on port 1, so every connection is refused at once.
  const brokers = ['127.0.0.1:1'];

  it('fails clearly and within seconds when Kafka is unreachable', async () => {
    const warnings: string[] = [];
    const logger: EventBusLogger = {
      debug: () => {},
      info: () => {},
      warn: (_fields, message) => warnings.push(message ?? ''),
      error: (_fields, message) => warnings.push(message ?? ''),
    };
    const bus = createKafkaEventBus({ brokers, clientId: 'keel-event-bus-test', logger });
    const started = Date.now();
    const failure = await bus.publish('keel.test.v1', [{ key: 'k', value: new Uint8Array() }]).catch((e) => e);
    expect(failure).toBeInstanceOf(KafkaUnavailableError);
    expect(failure.message).toMatch(/^cannot reach Kafka at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(failure.code).toBe('DEPENDENCY.KAFKA_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect(bus.subscribe({ groupId: 'g', topics: ['keel.test.v1'], handler: async () => {} })).rejects.toThrow(
      /cannot reach Kafka at 127\.0\.0\.1:1/,
    );
    const health = await bus.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/cannot reach Kafka at 127\.0\.0\.1:1/);
    expect(warnings.some((line) => /Connection error|ECONNREFUSED|connect/i.test(line))).toBe(true);
    await bus.close();
  }, 40_000);
});
