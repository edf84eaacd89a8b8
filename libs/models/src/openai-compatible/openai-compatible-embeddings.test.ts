import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError, type ProviderError } from '../chat-model.js';
import {
  type FakeUpstream,
  garbage,
  json,
  rateLimited,
  serverError,
  startFakeUpstream,
} from '../testing/fake-upstream.js';
import { createOpenAiCompatibleProvider } from './openai-compatible-provider.js';

const apiKey = 'sk-embed-secret-0123456789';
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream({ apiKey });
});
afterAll(() => fake.close());
afterEach(() => {
  fake.requests.length = 0;
  fake.clearQueues();
});

const provider = (key = apiKey) => createOpenAiCompatibleProvider({ baseUrl: `${fake.url}/v1`, apiKey: key });

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isProviderError(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('OpenAI-compatible embeddings', () => {
  it('posts the inputs to /v1/embeddings as floats and returns one vector per input, in order', async () => {
    const result = await provider().embed?.({ model: 'text-embed', input: ['one', 'two words'], dimensions: 3 });
    expect(result?.vectors).toHaveLength(2);
    expect(result?.vectors.every((vector) => vector.length === 3)).toBe(true);
    expect(result?.promptTokens).toBe(3);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/embeddings',
      body: { model: 'text-embed', input: ['one', 'two words'], encoding_format: 'float', dimensions: 3 },
    });
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${apiKey}`);
  });

  it('puts vectors in input order whatever order `data` comes in', async () => {
    fake.enqueue(
      json(200, {
        data: [
          { index: 1, embedding: [2, 2] },
          { index: 0, embedding: [1, 1] },
        ],
        usage: { prompt_tokens: 2 },
      }),
    );
    const result = await provider().embed?.({ model: 'm', input: ['a', 'b'] });
    expect(result?.vectors).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('types its failures: 429 with retry-after, 5xx, garbage, a missing vector, a wrong key (never shown)', async () => {
    fake.enqueue(rateLimited(2));
    expect(await failure(provider().embed?.({ model: 'm', input: ['a'] }) as Promise<unknown>)).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 2000,
    });
    fake.enqueue(serverError(503));
    expect(await failure(provider().embed?.({ model: 'm', input: ['a'] }) as Promise<unknown>)).toMatchObject({
      kind: 'upstream_error',
      status: 503,
    });
    fake.enqueue(garbage());
    expect(await failure(provider().embed?.({ model: 'm', input: ['a'] }) as Promise<unknown>)).toMatchObject({
      kind: 'malformed_response',
    });
    fake.enqueue(json(200, { data: [{ index: 0, embedding: [1] }] }));
    expect(await failure(provider().embed?.({ model: 'm', input: ['a', 'b'] }) as Promise<unknown>)).toMatchObject({
      kind: 'malformed_response',
      message: expect.stringContaining('expected 2 embeddings'),
    });
    fake.enqueue(json(200, { data: [{ index: 0, embedding: ['x'] }] }));
    expect(await failure(provider().embed?.({ model: 'm', input: ['a'] }) as Promise<unknown>)).toMatchObject({
      kind: 'malformed_response',
    });
    const wrongKey = await failure(
      provider('sk-wrong-key-987').embed?.({ model: 'm', input: ['a'] }) as Promise<unknown>,
    );
    expect(wrongKey).toMatchObject({ kind: 'rejected', status: 401 });
    expect(wrongKey.message).not.toContain('sk-wrong-key-987');
  });
});
