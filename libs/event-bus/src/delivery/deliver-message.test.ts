import { EventDecodeError } from '@keel/contracts';
import { describe, expect, it, vi } from 'vitest';
import type { IncomingMessage, OutgoingMessage } from '../event-bus.js';
import { silentLogger } from '../logger.js';
import { DeadLetterHeader, isRetryable } from './dead-letter.js';
import { DeadLetterPublishError, type DeliveryRequest, deliverMessage } from './deliver-message.js';
import { resolveRetryPolicy } from './retry-policy.js';

const message: IncomingMessage = {
  topic: 'keel.test.v1',
  partition: 2,
  offset: '41',
  key: 'acme:doc-1',
  value: new TextEncoder().encode('payload'),
  headers: { 'keel-event-id': 'e-1', 'keel-dlq-error': 'stale header from an earlier failure' },
  timestamp: 1_700_000_000_000,
};

class CodedError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

function request(
  overrides: Partial<DeliveryRequest> = {},
): DeliveryRequest & { deadLetters: [string, OutgoingMessage][] } {
  const deadLetters: [string, OutgoingMessage][] = [];
  return {
    message,
    handler: async () => {},
    policy: resolveRetryPolicy({ maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 }),
    groupId: 'keel-test',
    publishDeadLetter: async (topic, letter) => {
      deadLetters.push([topic, letter]);
    },
    signal: new AbortController().signal,
    logger: silentLogger,
    now: () => new Date('2026-03-04T05:06:07.000Z'),
    deadLetters,
    ...overrides,
  };
}

describe('deliverMessage', () => {
  it('runs the handler once when it succeeds', async () => {
    const handler = vi.fn(async () => {});
    const outcome = await deliverMessage(request({ handler }));
    expect(outcome).toEqual({ kind: 'handled', attempts: 1 });
    expect(handler).toHaveBeenCalledWith(message);
  });

  it('retries a failing handler until it succeeds', async () => {
    let calls = 0;
    const outcome = await deliverMessage(
      request({
        handler: async () => {
          calls += 1;
          if (calls < 3) throw new Error('flaky');
        },
      }),
    );
    expect(outcome).toEqual({ kind: 'handled', attempts: 3 });
  });

  it('dead-letters after the last attempt with the failure in headers', async () => {
    const req = request({
      handler: async () => {
        throw new CodedError('vector store down', 'DEPENDENCY.UNAVAILABLE', true);
      },
    });
    const outcome = await deliverMessage(req);
    expect(outcome).toEqual({ kind: 'dead-lettered', attempts: 3, deadLetterTopic: 'keel.test.v1.dlq' });
    expect(req.deadLetters).toHaveLength(1);
    const [topic, letter] = req.deadLetters[0] ?? [];
    expect(topic).toBe('keel.test.v1.dlq');
    expect(letter?.key).toBe(message.key);
    expect(letter?.value).toEqual(message.value);
    expect(letter?.headers).toEqual({
      'keel-event-id': 'e-1',
      [DeadLetterHeader.error]: 'vector store down',
      [DeadLetterHeader.errorCode]: 'DEPENDENCY.UNAVAILABLE',
      [DeadLetterHeader.originalTopic]: 'keel.test.v1',
      [DeadLetterHeader.originalPartition]: '2',
      [DeadLetterHeader.originalOffset]: '41',
      [DeadLetterHeader.attempts]: '3',
      [DeadLetterHeader.consumerGroup]: 'keel-test',
      [DeadLetterHeader.failedAt]: '2026-03-04T05:06:07.000Z',
    });
  });

  it('dead-letters a non-retryable error on the first attempt', async () => {
    const handler = vi.fn(async () => {
      throw new EventDecodeError('keel.test.v1', 'not protobuf');
    });
    const req = request({ handler });
    const outcome = await deliverMessage(req);
    expect(outcome.kind).toBe('dead-lettered');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(req.deadLetters[0]?.[1].headers?.[DeadLetterHeader.errorCode]).toBe('EVENT.UNDECODABLE');
    expect(req.deadLetters[0]?.[1].headers?.[DeadLetterHeader.attempts]).toBe('1');
  });

  it('names errors without a code by their name, and non-errors as UNKNOWN', async () => {
    const typeError = request({
      policy: resolveRetryPolicy({ maxAttempts: 1 }),
      handler: async () => {
        throw new TypeError('x is undefined');
      },
    });
    await deliverMessage(typeError);
    expect(typeError.deadLetters[0]?.[1].headers?.[DeadLetterHeader.errorCode]).toBe('TypeError');
    const thrownString = request({
      policy: resolveRetryPolicy({ maxAttempts: 1 }),
      handler: () => Promise.reject('plain string'),
    });
    await deliverMessage(thrownString);
    expect(thrownString.deadLetters[0]?.[1].headers).toMatchObject({
      [DeadLetterHeader.errorCode]: 'UNKNOWN',
      [DeadLetterHeader.error]: 'plain string',
    });
  });

  it('catches a handler that throws synchronously', async () => {
    const req = request({
      policy: resolveRetryPolicy({ maxAttempts: 1 }),
      handler: (() => {
        throw new Error('sync');
      }) as unknown as DeliveryRequest['handler'],
    });
    expect((await deliverMessage(req)).kind).toBe('dead-lettered');
  });

  it('surfaces a failed dead-letter publish instead of reporting success', async () => {
    const req = request({
      policy: resolveRetryPolicy({ maxAttempts: 1 }),
      handler: async () => {
        throw new Error('boom');
      },
      publishDeadLetter: async () => {
        throw new Error('broker unreachable');
      },
    });
    const failure = await deliverMessage(req).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeadLetterPublishError);
    expect((failure as Error).message).toMatch(/keel\.test\.v1\/2@41 to keel\.test\.v1\.dlq: broker unreachable/);
    expect((failure as Error).cause).toBeInstanceOf(Error);
  });

  it('abandons the message, uncommitted, when the subscription stops during a backoff', async () => {
    const controller = new AbortController();
    const handler = vi.fn(async () => {
      throw new Error('down');
    });
    const pending = deliverMessage(
      request({
        handler,
        signal: controller.signal,
        policy: resolveRetryPolicy({ maxAttempts: 5, initialBackoffMs: 60_000, maxBackoffMs: 60_000 }),
      }),
    );
    await vi.waitFor(() => expect(handler).toHaveBeenCalledTimes(1));
    const started = Date.now();
    controller.abort();
    expect(await pending).toEqual({ kind: 'abandoned', attempts: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('waits between attempts as the policy says', async () => {
    const times: number[] = [];
    await deliverMessage(
      request({
        policy: resolveRetryPolicy({ maxAttempts: 3, initialBackoffMs: 40, maxBackoffMs: 1_000 }),
        random: () => 1,
        handler: async () => {
          times.push(performance.now());
          throw new Error('down');
        },
      }),
    );
    const [first = 0, second = 0, third = 0] = times;
    expect(second - first).toBeGreaterThanOrEqual(38);
    expect(third - second).toBeGreaterThanOrEqual(78);
  });
});

describe('isRetryable', () => {
  it('is false only for errors that say retryable: false', () => {
    expect(isRetryable(new Error('x'))).toBe(true);
    expect(isRetryable({ retryable: true })).toBe(true);
    expect(isRetryable('text')).toBe(true);
    expect(isRetryable(null)).toBe(true);
    expect(isRetryable({ retryable: false })).toBe(false);
    expect(isRetryable(new EventDecodeError('t', 'bad'))).toBe(false);
  });
});
