/**
 * The durable embedded bus across restarts: a bus is closed (or its process killed) and a new
 * one opens the same file. What a group committed stays handled; everything else comes again,
 * with the same partition, offset, key, value, headers and timestamp.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deadLetterTopicOf } from '@keel/contracts';
import { waitFor } from '@keel/testing';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterHeader } from '../delivery/dead-letter.js';
import type { EventBus, IncomingMessage, RetryPolicy, SubscribeOptions } from '../event-bus.js';
import type { EventBusLogger } from '../logger.js';
import { partitionForKey } from '../partitioning/murmur2.js';
import { createEmbeddedEventBus, type EmbeddedEventBusOptions } from './embedded-event-bus.js';
import { EventLogInUseError } from './sqlite-event-log.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const body = (message: IncomingMessage) => decoder.decode(message.value);
/** Fails once, then waits a minute to retry: a stop or close abandons the message uncommitted. */
const retryInAMinute: Partial<RetryPolicy> = { maxAttempts: 5, initialBackoffMs: 60_000, maxBackoffMs: 60_000 };

let directory: string;
let path: string;
const open: EventBus[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'keel-durable-bus-'));
  path = join(directory, 'event-bus.db');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((bus) => bus.close()));
  rmSync(directory, { recursive: true, force: true });
});

function openBus(options: EmbeddedEventBusOptions = {}): EventBus {
  const bus = createEmbeddedEventBus({ path, ...options });
  open.push(bus);
  return bus;
}

async function closeBus(bus: EventBus): Promise<void> {
  open.splice(open.indexOf(bus), 1);
  await bus.close();
}

/** Subscribes a group that records every message it handles. */
async function record(
  bus: EventBus,
  options: Omit<SubscribeOptions, 'handler'> & { handler?: (message: IncomingMessage) => Promise<void> },
): Promise<IncomingMessage[]> {
  const received: IncomingMessage[] = [];
  await bus.subscribe({
    ...options,
    handler: async (message) => {
      await options.handler?.(message);
      received.push(message);
    },
  });
  return received;
}

const arrived = (description: string, probe: () => boolean) =>
  waitFor(description, () => probe() || undefined, { timeoutMs: 10_000, intervalMs: 10 });

describe('durable embedded event bus', () => {
  it('redelivers exactly the uncommitted messages after a restart, unchanged, and continues the offsets', async () => {
    const topic = 'keel.durable.orders';
    const first = openBus();
    await first.ensureTopics([{ name: topic, partitions: 3 }]);
    const all = await record(first, { groupId: 'observer', topics: [topic] });
    const attempted: IncomingMessage[] = [];
    const handled = await record(first, {
      groupId: 'worker',
      topics: [topic],
      retry: retryInAMinute,
      handler: async (message) => {
        if (Number(message.headers.n) < 20) return;
        attempted.push(message);
        throw new Error('not yet');
      },
    });
    await first.publish(
      topic,
      Array.from({ length: 30 }, (_, n) => ({
        key: `tenant:doc-${n % 10}`,
        value: encoder.encode(`body-${n}`),
        headers: { n: String(n), traceparent: `trace-${n}` },
      })),
    );
    await arrived('every message at the observer', () => all.length === 30);
    // Per partition, the first message from n = 20 on fails and waits a minute to retry.
    const partitionsWithLateMessages = new Set(all.filter((m) => Number(m.headers.n) >= 20).map((m) => m.partition));
    await arrived(
      'the worker to handle 20 and hold one per partition',
      () => handled.length === 20 && attempted.length === partitionsWithLateMessages.size,
    );
    await closeBus(first);

    const second = openBus();
    const redelivered = await record(second, { groupId: 'worker', topics: [topic] });
    const observerAgain = await record(second, { groupId: 'observer', topics: [topic] });
    await arrived('the 10 uncommitted messages', () => redelivered.length === 10);
    const original = (message: IncomingMessage) => all.find((m) => m.headers.n === message.headers.n);
    for (const message of redelivered) expect(message).toEqual(original(message));
    expect(redelivered.map((m) => Number(m.headers.n)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => 20 + i),
    );

    // New messages continue each partition's offsets; the observer had committed everything.
    const endOffsets = new Map<number, number>();
    for (const message of all) {
      endOffsets.set(message.partition, Math.max(endOffsets.get(message.partition) ?? 0, Number(message.offset) + 1));
    }
    const sentinels = [0, 1, 2].map((partition) => {
      const key = all.find((m) => m.partition === partition)?.key ?? '';
      return { key, value: encoder.encode(`sentinel-${partition}`), headers: { n: `sentinel-${partition}` } };
    });
    await second.publish(topic, sentinels);
    await arrived('the sentinels at both groups', () => redelivered.length === 13 && observerAgain.length === 3);
    expect(observerAgain.map(body).sort()).toEqual(['sentinel-0', 'sentinel-1', 'sentinel-2']);
    for (const message of observerAgain) {
      expect(message.offset).toBe(String(endOffsets.get(message.partition)));
    }
  });

  it('close() lets a running handler finish and commits it; the messages behind it come again', async () => {
    const topic = 'keel.durable.slow';
    const key = 'tenant:one-key';
    const first = openBus();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started: string[] = [];
    const handled = await record(first, {
      groupId: 'g',
      topics: [topic],
      handler: async (message) => {
        started.push(body(message));
        await gate;
      },
    });
    await first.publish(
      topic,
      ['m1', 'm2', 'm3'].map((text) => ({ key, value: encoder.encode(text) })),
    );
    await arrived('the first handler to start', () => started.length === 1);
    let closed = false;
    const closing = closeBus(first).then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(handled.map(body)).toEqual(['m1']);

    const second = openBus();
    const after = await record(second, { groupId: 'g', topics: [topic] });
    await arrived('m2 and m3', () => after.length === 2);
    expect(after.map(body)).toEqual(['m2', 'm3']);
    expect(after.map((m) => m.offset)).toEqual(['1', '2']);
    expect(after[0]?.partition).toBe(partitionForKey(key, 3));
  });

  it('keeps dead letters, and the commit past the poison message, across a restart', async () => {
    const topic = 'keel.durable.poison';
    const first = openBus();
    await first.ensureTopics([{ name: topic, partitions: 2 }]);
    const handled = await record(first, {
      groupId: 'g',
      topics: [topic],
      handler: async (message) => {
        if (body(message) === 'poison') throw Object.assign(new Error('cannot parse'), { retryable: false });
      },
    });
    await first.publish(topic, [
      { key: 'tenant:p', value: encoder.encode('poison'), headers: { 'keel-event-id': 'e-1' } },
      { key: 'tenant:p', value: encoder.encode('fine') },
    ]);
    await arrived('the message after the poison', () => handled.length === 1);
    await closeBus(first);

    const second = openBus();
    const letters = await record(second, { groupId: 'dlq-reader', topics: [deadLetterTopicOf(topic)] });
    const again = await record(second, { groupId: 'g', topics: [topic] });
    await arrived('the dead letter', () => letters.length === 1);
    expect(body(letters[0] as IncomingMessage)).toBe('poison');
    expect(letters[0]?.headers).toMatchObject({
      'keel-event-id': 'e-1',
      [DeadLetterHeader.error]: 'cannot parse',
      [DeadLetterHeader.originalTopic]: topic,
      [DeadLetterHeader.originalOffset]: '0',
      [DeadLetterHeader.consumerGroup]: 'g',
    });
    await second.publish(topic, [{ key: 'tenant:p', value: encoder.encode('after restart') }]);
    await arrived('the new message', () => again.length === 1);
    expect(again.map(body)).toEqual(['after restart']);
  });

  it('keeps partition counts: a topic reopens with its own count, not the new default', async () => {
    const first = openBus({ defaultPartitions: 3 });
    await first.ensureTopics([{ name: 'keel.durable.wide', partitions: 7 }]);
    await first.publish('keel.durable.implicit', [{ key: 'k', value: encoder.encode('x') }]);
    await closeBus(first);

    const second = openBus({ defaultPartitions: 1 });
    await second.ensureTopics([{ name: 'keel.durable.wide', partitions: 2 }]);
    const wide = await record(second, { groupId: 'g', topics: ['keel.durable.wide'] });
    const implicit = await record(second, { groupId: 'g2', topics: ['keel.durable.implicit'] });
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    await second.publish(
      'keel.durable.wide',
      keys.map((key) => ({ key, value: encoder.encode(key) })),
    );
    await arrived('50 messages', () => wide.length === 50 && implicit.length === 1);
    expect(new Set(wide.map((m) => m.partition)).size).toBe(7);
    for (const message of wide) expect(message.partition).toBe(partitionForKey(message.key, 7));
    expect(implicit[0]?.partition).toBe(partitionForKey('k', 3));
  });

  it('remembers where a fromBeginning: false group started, so a restart does not skip what came meanwhile', async () => {
    const topic = 'keel.durable.latest';
    const first = openBus();
    await first.publish(topic, [{ key: 'k', value: encoder.encode('before the group') }]);
    const subscription = await first.subscribe({
      groupId: 'late',
      topics: [topic],
      fromBeginning: false,
      handler: async () => {},
    });
    await subscription.stop();
    await first.publish(topic, [{ key: 'k', value: encoder.encode('while it was away') }]);
    await closeBus(first);

    const second = openBus();
    const got = await record(second, { groupId: 'late', topics: [topic], fromBeginning: false });
    await arrived('the message published while the group was away', () => got.length === 1);
    expect(got.map(body)).toEqual(['while it was away']);
  });

  it('reports the file in health()', async () => {
    const bus = openBus();
    await bus.ensureTopics([{ name: 'keel.durable.one' }]);
    expect(await bus.health()).toEqual({
      ok: true,
      detail: `embedded durable event bus at ${path}: 2 topics, 0 subscriptions`,
    });
    await closeBus(bus);
    expect((await bus.health()).ok).toBe(false);
  });
});

describe('one bus per file', () => {
  it('refuses a second bus on the same file in this process until the first one closes', async () => {
    const first = openBus();
    expect(() => createEmbeddedEventBus({ path })).toThrow(EventLogInUseError);
    expect(() => createEmbeddedEventBus({ path })).toThrow(/already open in another process/);
    await closeBus(first);
    const second = openBus();
    expect((await second.health()).ok).toBe(true);
  });

  it('refuses a bus while another process holds the file, and keeps what that process published when it is killed', async () => {
    const child = startHolder(path, 25);
    try {
      await waitFor(
        'the other process to publish',
        () => {
          if (child.output().includes('published')) return true;
          if (child.exited()) throw new Error(`the other process exited: ${child.output()}`);
          return undefined;
        },
        { timeoutMs: 20_000 },
      );
      let refusal: unknown;
      try {
        createEmbeddedEventBus({ path });
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(EventLogInUseError);
      expect((refusal as EventLogInUseError).code).toBe('EVENT_BUS.LOG_IN_USE');
      expect((refusal as Error).message).toContain(path);
    } finally {
      // No close(), no shutdown: the operating system releases the lock of a killed process.
      await child.kill();
    }
    const bus = openBus();
    const got = await record(bus, { groupId: 'reader', topics: ['keel.durable.crash'] });
    await arrived('the 25 messages the killed process published', () => got.length === 25);
    expect(got.map(body).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `m-${i}`).sort());
  });
});

describe('retention', () => {
  const quiet: EventBusLogger = { debug() {}, info() {}, warn() {}, error() {} };

  it('on open, deletes old messages every group has committed, never ones a group still has to handle', async () => {
    const warnings: object[] = [];
    const logger: EventBusLogger = { ...quiet, warn: (fields) => warnings.push(fields) };
    const retention = { maxMessagesPerPartition: 2, intervalMs: 3_600_000 };
    const first = openBus({ defaultPartitions: 1, retention });
    const handled = await record(first, {
      groupId: 'slow',
      topics: ['keel.durable.read'],
      retry: retryInAMinute,
      handler: async (message) => {
        if (Number(body(message)) >= 6) throw new Error('not yet');
      },
    });
    await first.publish(
      'keel.durable.read',
      Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: encoder.encode(String(i)) })),
    );
    await first.publish(
      'keel.durable.unread',
      Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: encoder.encode(String(i)) })),
    );
    await arrived('6 handled', () => handled.length === 6);
    await closeBus(first);
    expect(countMessages(path)).toBe(20);

    const second = openBus({ defaultPartitions: 1, retention, logger });
    // Nobody reads `unread`: the newest 2 stay. `slow` committed 0..5: 6..9 stay, held back by it.
    expect(warnings).toEqual([expect.objectContaining({ group: 'slow', topic: 'keel.durable.read', committed: 6 })]);
    const fresh = await record(second, { groupId: 'fresh', topics: ['keel.durable.read', 'keel.durable.unread'] });
    const slow = await record(second, { groupId: 'slow', topics: ['keel.durable.read'] });
    await arrived('what is left', () => fresh.length === 6 && slow.length === 4);
    expect(slow.map((m) => m.offset)).toEqual(['6', '7', '8', '9']);
    expect(fresh.filter((m) => m.topic === 'keel.durable.unread').map((m) => m.offset)).toEqual(['8', '9']);
    expect(fresh.filter((m) => m.topic === 'keel.durable.read').map((m) => m.offset)).toEqual(['6', '7', '8', '9']);
    await closeBus(second);
    expect(countMessages(path)).toBe(2 + 4);
  });

  it('trims periodically while running, by age too, and publishing continues the offsets', async () => {
    let deleted = 0;
    const logger: EventBusLogger = {
      ...quiet,
      debug: (fields) => {
        deleted += (fields as { deleted?: number }).deleted ?? 0;
      },
    };
    const bus = openBus({ defaultPartitions: 1, retention: { maxAgeMs: 0, intervalMs: 20 }, logger });
    const got = await record(bus, { groupId: 'g', topics: ['keel.durable.aged'] });
    await bus.publish(
      'keel.durable.aged',
      Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: encoder.encode(String(i)) })),
    );
    await arrived('5 handled', () => got.length === 5);
    await arrived('a retention pass to delete them', () => deleted === 5);
    await bus.publish('keel.durable.aged', [{ key: 'k', value: encoder.encode('5') }]);
    await arrived('the next message', () => got.length === 6);
    expect(got[5]?.offset).toBe('5');
    await arrived('the next pass to delete it too', () => deleted === 6);
    await closeBus(bus);
    expect(countMessages(path)).toBe(0);
    const reopened = openBus({ defaultPartitions: 1, retention: false });
    await reopened.publish('keel.durable.aged', [{ key: 'k', value: encoder.encode('6') }]);
    const fresh = await record(reopened, { groupId: 'fresh', topics: ['keel.durable.aged'] });
    await arrived('the only message left', () => fresh.length >= 1);
    expect(fresh.map((m) => m.offset)).toEqual(['6']);
  });

  it('is off for the in-memory bus unless asked for', async () => {
    const bus = createEmbeddedEventBus({ defaultPartitions: 1 });
    await bus.publish('keel.memory', [{ key: 'k', value: encoder.encode('kept') }]);
    const got = await record(bus, { groupId: 'g', topics: ['keel.memory'] });
    await arrived('the message', () => got.length === 1);
    await bus.close();
    expect(() => createEmbeddedEventBus({ retention: { maxMessagesPerPartition: 0 } })).toThrow(
      /maxMessagesPerPartition/,
    );
  });
});

/** Reads the file with a connection of its own: only while no bus holds it. */
function countMessages(file: string): number {
  const db = new Database(file, { readonly: true, timeout: 0 });
  try {
    return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const sourceOf = (module: string) => fileURLToPath(new URL(module, import.meta.url));

/** Another process that opens the file, publishes, says so, and then holds the file until killed. */
function startHolder(file: string, messages: number): { output(): string; exited(): boolean; kill(): Promise<void> } {
  // .mts: an ES module wherever the temporary directory is (top-level await).
  const script = join(directory, 'holder.mts');
  writeFileSync(
    script,
    `import { createEmbeddedEventBus } from ${JSON.stringify(sourceOf('./embedded-event-bus.ts'))};
const bus = createEmbeddedEventBus({ path: ${JSON.stringify(file)} });
await bus.publish('keel.durable.crash', Array.from({ length: ${messages} }, (_, i) => ({
  key: 'k' + i,
  value: new TextEncoder().encode('m-' + i),
})));
process.stdout.write('published\\n');
setInterval(() => {}, 1_000);
`,
  );
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: sourceOf('.'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    output: () => output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
