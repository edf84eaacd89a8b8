import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@keel/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../event-bus.js';
import { describeEventBusContract } from '../testing/event-bus-contract.js';
import { createEmbeddedEventBus } from './embedded-event-bus.js';

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** A new file per bus: one bus per file, and the contract suite opens a second bus of its own. */
function freshLogFile(): string {
  const directory = mkdtempSync(join(tmpdir(), 'keel-event-bus-'));
  directories.push(directory);
  return join(directory, 'event-bus.db');
}

describeEventBusContract('embedded event bus (in memory)', async () => createEmbeddedEventBus());
describeEventBusContract('embedded event bus (durable, SQLite file)', async () =>
  createEmbeddedEventBus({ path: freshLogFile() }),
);

describe('embedded event bus specifics', () => {
  const value = new TextEncoder().encode('x');

  it('rebalances to the remaining member when one leaves, redelivering what it had not committed', async () => {
    const bus = createEmbeddedEventBus({ defaultPartitions: 1 });
    const seenByFirst: string[] = [];
    const seenBySecond: string[] = [];
    let releaseFirst: () => void = () => {};
    const first = await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      retry: { maxAttempts: 5, initialBackoffMs: 60_000, maxBackoffMs: 60_000 },
      handler: async (message) => {
        seenByFirst.push(message.offset);
        await new Promise<void>((resolve) => {
          releaseFirst = resolve;
        });
        throw new Error('fails, then waits a minute to retry');
      },
    });
    const second = await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handler: async (message) => {
        seenBySecond.push(message.offset);
      },
    });
    await bus.publish('t', [{ key: 'k', value }]);
    await waitFor('the first delivery', () => seenByFirst.length === 1);
    const stopping = first.stop();
    releaseFirst();
    await stopping;
    await waitFor('the redelivery to the second member', () => seenBySecond.length === 1);
    expect(seenBySecond).toEqual(['0']);
    await second.stop();
    await bus.close();
  });

  it('creates topics with the requested partition count, and their .dlq twins', async () => {
    const bus = createEmbeddedEventBus({ defaultPartitions: 2 });
    await bus.ensureTopics([{ name: 'wide', partitions: 7 }]);
    const partitions = new Set<number>();
    await bus.subscribe({
      groupId: 'g',
      topics: ['wide', 'wide.dlq'],
      handler: async (message: IncomingMessage) => {
        partitions.add(message.partition);
      },
    });
    await bus.publish(
      'wide',
      Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value })),
    );
    await waitFor('messages on all 7 partitions', () => partitions.size === 7);
    await bus.close();
  });

  it('rejects topic names Kafka would reject', async () => {
    const bus = createEmbeddedEventBus();
    await expect(bus.publish('has space', [{ key: 'k', value }])).rejects.toThrow(/invalid topic name/);
    await expect(bus.ensureTopics([{ name: 'a'.repeat(247) }])).rejects.toThrow(/249/);
    await bus.close();
  });

  it('describes its state in health()', async () => {
    const bus = createEmbeddedEventBus();
    await bus.ensureTopics([{ name: 'one' }]);
    expect(await bus.health()).toEqual({
      ok: true,
      detail: 'embedded in-memory event bus: 2 topics, 0 subscriptions',
    });
    await bus.close();
  });
});
