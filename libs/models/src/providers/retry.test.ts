import { describe, expect, it } from 'vitest';
import { type ChatModel, type Generation, ProviderError } from '../chat-model.js';
import { withRetries } from './retry.js';

const generation: Generation = {
  content: 'ok',
  toolCalls: [],
  finishReason: 'stop',
  usage: { promptTokens: 1, completionTokens: 1 },
};

function flaky(failures: ProviderError[]): ChatModel & { timeouts: (number | undefined)[] } {
  const timeouts: (number | undefined)[] = [];
  return {
    timeouts,
    descriptor: { id: 'm', provider: 'p', ownedBy: 'p' },
    complete: async () => {
      throw new Error('unused');
    },
    generate: async (_request, options) => {
      timeouts.push(options?.timeoutMs);
      const failure = failures.shift();
      if (failure) throw failure;
      return generation;
    },
  };
}

const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('withRetries', () => {
  it('backs off with full jitter under an exponential ceiling, capped', async () => {
    const waits: number[] = [];
    const model = flaky([
      new ProviderError('upstream_error', 'p', 'a'),
      new ProviderError('upstream_error', 'p', 'b'),
      new ProviderError('upstream_error', 'p', 'c'),
    ]);
    const retried = withRetries(model, {
      maxAttempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 150,
      attemptTimeoutMs: 1000,
      totalTimeoutMs: 60_000,
      random: () => 1,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect((await retried.generate?.(request))?.attempts).toBe(4);
    expect(waits).toEqual([100, 150, 150]);
    expect(model.timeouts).toEqual([1000, 1000, 1000, 1000]);
  });

  it('gives each attempt at most what is left of the total timeout', async () => {
    let clock = 0;
    const model = flaky([new ProviderError('timeout', 'p', 'slow')]);
    const retried = withRetries(model, {
      maxAttempts: 2,
      baseDelayMs: 10,
      maxDelayMs: 10,
      attemptTimeoutMs: 1000,
      totalTimeoutMs: 1500,
      random: () => 0.5,
      now: () => clock,
      sleep: async (ms) => {
        clock += 1000 + ms;
      },
    });
    await retried.generate?.(request);
    expect(model.timeouts).toEqual([1000, 495]);
  });
});
