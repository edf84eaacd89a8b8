import { describe, expect, it } from 'vitest';
import { deadLetterFor, replayedFromHeader } from '../delivery/dead-letter.js';
import { createEmbeddedEventBus } from '../embedded/embedded-event-bus.js';
import type { EventBus, IncomingMessage } from '../event-bus.js';
import { runReplayCli } from './replay-cli.js';
import { replayDeadLetters } from './replay-dead-letters.js';

const topic = 'keel.ingest.requested.v1';
const encoder = new TextEncoder();

function original(key: string, body: string, offset: number): IncomingMessage {
  return {
    topic,
    partition: 0,
    offset: String(offset),
    key,
    value: encoder.encode(body),
    headers: { 'keel-event-id': `e-${offset}`, 'content-type': 'application/json' },
    timestamp: Date.now(),
  };
}

async function busWithLetters(count: number): Promise<EventBus> {
  const bus = createEmbeddedEventBus();
  for (let i = 0; i < count; i++) {
    const letter = deadLetterFor(original(`acme:doc-${i}`, `body-${i}`, i), {
      error: Object.assign(new Error(`failure ${i}`), { code: 'INGEST.FAILED' }),
      attempts: 5,
      groupId: 'keel-ingestion',
      failedAt: new Date('2026-05-06T07:08:09.000Z'),
    });
    await bus.publish(letter.topic, [letter.message]);
  }
  return bus;
}

async function collect(bus: EventBus, groupId: string, expected: number): Promise<IncomingMessage[]> {
  const received: IncomingMessage[] = [];
  const subscription = await bus.subscribe({
    groupId,
    topics: [topic],
    handler: async (message) => {
      received.push(message);
    },
  });
  const deadline = Date.now() + 5_000;
  while (received.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  // A short grace to catch anything beyond what was expected.
  await new Promise((r) => setTimeout(r, 50));
  await subscription.stop();
  return received;
}

describe('replayDeadLetters', () => {
  it('republishes letters to their topic without keel-dlq-* headers, once', async () => {
    const bus = await busWithLetters(3);
    const report = await replayDeadLetters(bus, { topic, idleMs: 100 });
    expect(report.letters).toHaveLength(3);
    expect(report.limitReached).toBe(false);
    expect(report.groupId).toBe(`keel-dlq-replay.${topic}`);
    expect(report.letters.map((letter) => letter.errorCode)).toEqual([
      'INGEST.FAILED',
      'INGEST.FAILED',
      'INGEST.FAILED',
    ]);

    const replayed = await collect(bus, 'reader', 3);
    expect(replayed.map((message) => new TextDecoder().decode(message.value)).sort()).toEqual([
      'body-0',
      'body-1',
      'body-2',
    ]);
    for (const message of replayed) {
      expect(Object.keys(message.headers).filter((name) => name.startsWith('keel-dlq-'))).toEqual([]);
      expect(message.headers['content-type']).toBe('application/json');
      expect(message.headers[replayedFromHeader]).toMatch(new RegExp(`^${topic}\\.dlq/\\d+/\\d+$`));
    }
    const again = await replayDeadLetters(bus, { topic, idleMs: 100 });
    expect(again.letters).toEqual([]);
    await bus.close();
  });

  it('stops at the limit and leaves the rest for the next run', async () => {
    const bus = await busWithLetters(5);
    const first = await replayDeadLetters(bus, { topic, limit: 2, idleMs: 100 });
    expect(first.letters).toHaveLength(2);
    expect(first.limitReached).toBe(true);
    const rest = await replayDeadLetters(bus, { topic, idleMs: 100 });
    expect(rest.letters).toHaveLength(3);
    const all = [...first.letters, ...rest.letters].map((letter) => letter.from).sort();
    expect(new Set(all).size).toBe(5);
    expect(await collect(bus, 'reader', 5)).toHaveLength(5);
    await bus.close();
  });

  it('lists letters in a dry run without republishing or using up the replay group', async () => {
    const bus = await busWithLetters(2);
    const dry = await replayDeadLetters(bus, { topic, dryRun: true, idleMs: 100 });
    expect(dry.dryRun).toBe(true);
    expect(dry.letters.map((letter) => letter.key).sort()).toEqual(['acme:doc-0', 'acme:doc-1']);
    expect(dry.letters[0]).toMatchObject({ targetTopic: topic, attempts: 5, failedAt: '2026-05-06T07:08:09.000Z' });
    expect(await collect(bus, 'reader-before', 0)).toEqual([]);
    const real = await replayDeadLetters(bus, { topic, idleMs: 100 });
    expect(real.letters).toHaveLength(2);
    await bus.close();
  });

  it('fails on a republish error and leaves that letter uncommitted', async () => {
    const inner = await busWithLetters(1);
    let failPublishes = true;
    const flaky: EventBus = {
      subscribe: (options) => inner.subscribe(options),
      publish: async (target, messages) => {
        if (failPublishes && target === topic) throw new Error('broker said no');
        return inner.publish(target, messages);
      },
      ensureTopics: (topics) => inner.ensureTopics(topics),
      health: () => inner.health(),
      close: () => inner.close(),
    };
    await expect(replayDeadLetters(flaky, { topic, idleMs: 100 })).rejects.toThrow('broker said no');
    failPublishes = false;
    const retry = await replayDeadLetters(flaky, { topic, idleMs: 100 });
    expect(retry.letters).toHaveLength(1);
    const letters: IncomingMessage[] = [];
    await inner.subscribe({
      groupId: 'dlq-dlq-watch',
      topics: [`${topic}.dlq.dlq`],
      handler: async (message) => void letters.push(message),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(letters).toEqual([]);
    await inner.close();
  });
});

describe('replay CLI', () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) } };
  }

  it('requires Kafka brokers, not the embedded bus', async () => {
    const { err, io: streams } = io();
    const code = await runReplayCli(['--topic', topic], {}, streams, () => {
      throw new Error('must not connect');
    });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/KAFKA_BROKERS \(or --brokers\) is required/);
  });

  it('rejects unknown flags and a missing topic with the usage', async () => {
    const unknown = io();
    expect(await runReplayCli(['--topic', topic, '--frobnicate'], {}, unknown.io, () => createEmbeddedEventBus())).toBe(
      2,
    );
    expect(unknown.err.join('\n')).toMatch(/usage: replay-dead-letters/);
    const missing = io();
    expect(await runReplayCli([], { KAFKA_BROKERS: 'k:9092' }, missing.io, () => createEmbeddedEventBus())).toBe(2);
    expect(missing.err.join('\n')).toMatch(/--topic is required/);
  });

  it('replays through the bus it connects to and prints each letter', async () => {
    const bus = await busWithLetters(2);
    const connected: string[][] = [];
    const { out, io: streams } = io();
    const code = await runReplayCli(
      ['--topic', topic, '--idle-ms', '100', '--brokers', 'a:9092,b:9092'],
      { KAFKA_BROKERS: 'ignored:9092' },
      streams,
      (brokers) => {
        connected.push(brokers);
        return bus;
      },
    );
    expect(code).toBe(0);
    expect(connected).toEqual([['a:9092', 'b:9092']]);
    expect(out.filter((line) => line.includes(`-> ${topic}`))).toHaveLength(2);
    expect(out.at(-1)).toBe(`replayed 2 message(s) from ${topic}.dlq`);
    expect(out[0]).toContain(`code=INGEST.FAILED`);
    expect(out[0]).toMatch(/attempts=5 failed-at=2026-05-06T07:08:09.000Z error="failure \d"$/);
  });
});
