import { createRecordingPublisher } from '@keel/event-bus/testing';
import { ProviderError } from '@keel/models';
import { isKeelError } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { countTokens, type Embedder } from '@keel/text';
import { describe, expect, it } from 'vitest';
import type { ModelRouter } from '../routing/model-router.js';
import { createEmbedTexts } from './embed-texts.js';
import { builtInEmbeddingsProvider, createRecordedEmbedTexts } from './recorded-embed-texts.js';

const caller = { requestId: 'embd-1', tenantId: 'acme', subject: 'app' };

function setup(options: { embed?: Embedder['embed']; router?: Pick<ModelRouter, 'findEmbedding'> } = {}) {
  const embedder: Embedder = {
    id: 'fake-3d',
    dimensions: 3,
    embed: options.embed ?? (async (texts) => texts.map(() => [1, 0, 0])),
  };
  const events = createRecordingPublisher();
  const { logger, find } = createTestLogger('recorded-embeddings');
  const embedTexts = createRecordedEmbedTexts({
    embedTexts: createEmbedTexts(embedder, options.router),
    builtInModel: embedder.id,
    events,
    logger,
    now: () => new Date('2031-01-01T00:00:00Z'),
  });
  return { embedTexts, events, find, completed: () => events.of('keel.inference.completed.v1') };
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

describe('createRecordedEmbedTexts', () => {
  it('publishes one embeddings completion per request: input tokens, model, provider, caller', async () => {
    const { embedTexts, events, completed } = setup();
    const result = await embedTexts({ model: 'fake-3d', input: ['hello world', 'again'] }, caller);
    expect(result.vectors).toHaveLength(2);
    const promptTokens = countTokens('hello world') + countTokens('again');
    expect(completed()).toEqual([
      expect.objectContaining({
        requestId: 'embd-1',
        tenantId: 'acme',
        subject: 'app',
        endpoint: '/v1/embeddings',
        operation: 'embeddings',
        model: 'fake-3d',
        requestedModel: 'fake-3d',
        provider: 'embedded',
        attempts: 1,
        streamed: false,
        usage: { promptTokens, completionTokens: 0, totalTokens: promptTokens, costUsd: 0 },
        question: '',
        answer: '',
        contexts: [],
        policy: [],
        completedAt: new Date('2031-01-01T00:00:00Z'),
      }),
    ]);
    expect(completed()[0]?.errorCode).toBeUndefined();
    expect(events.published[0]?.options).toEqual({ idempotencyKey: 'embd-1' });
  });

  it('records a routed model by the deployment that served it, and the name asked for', async () => {
    const router: Pick<ModelRouter, 'findEmbedding'> = {
      findEmbedding: (name) =>
        name === 'embed-alias'
          ? {
              id: name,
              embed: async (call) => ({
                vectors: call.input.map(() => [0, 1]),
                promptTokens: 7,
                servedBy: { provider: 'vllm', model: 'bge-small' },
                attempts: 2,
              }),
            }
          : undefined,
    };
    const { embedTexts, completed } = setup({ router });
    await embedTexts({ model: 'embed-alias', input: 'x' }, caller);
    expect(completed()[0]).toMatchObject({
      model: 'bge-small',
      requestedModel: 'embed-alias',
      provider: 'vllm',
      attempts: 2,
      usage: { promptTokens: 7 },
    });
  });

  it('records a routed failure with its code and attempts, and rethrows it', async () => {
    const router: Pick<ModelRouter, 'findEmbedding'> = {
      findEmbedding: (name) => ({
        id: name,
        embed: async () => {
          throw Object.assign(new ProviderError('upstream_error', 'vllm', 'HTTP 500', { status: 500 }), {
            attempts: 3,
          });
        },
      }),
    };
    const { embedTexts, completed } = setup({ router });
    const error = await rejection(embedTexts({ model: 'embed-alias', input: 'x' }, caller));
    expect(isKeelError(error) && error.httpStatus).toBe(502);
    expect(completed()).toEqual([
      expect.objectContaining({
        model: 'embed-alias',
        provider: 'vllm',
        attempts: 3,
        errorCode: 'MODEL.UPSTREAM_ERROR',
        usage: expect.objectContaining({ promptTokens: 0 }),
      }),
    ]);
  });

  it('records a failure of the built-in embedder, retryable or not, with the provider codes', async () => {
    const down = setup({
      embed: async () => {
        throw Object.assign(new Error('connection refused'), { retryable: true });
      },
    });
    expect(isKeelError(await rejection(down.embedTexts({ model: 'fake-3d', input: 'a' }, caller)))).toBe(true);
    expect(down.completed()[0]).toMatchObject({ errorCode: 'MODEL.UNREACHABLE', provider: 'embedded' });

    const broken = setup({ embed: async () => [] });
    await rejection(broken.embedTexts({ model: 'fake-3d', input: 'a' }, caller));
    expect(broken.completed()[0]).toMatchObject({ errorCode: 'MODEL.UPSTREAM_ERROR', model: 'fake-3d' });
  });

  it('publishes nothing for a request refused before any embedder was asked', async () => {
    const { embedTexts, completed } = setup();
    expect(isKeelError(await rejection(embedTexts({ model: 'fake-3d', input: [] }, caller)))).toBe(true);
    expect(isKeelError(await rejection(embedTexts({ model: 'unknown-model', input: 'a' }, caller)))).toBe(true);
    expect(completed()).toEqual([]);
  });

  it('serves the vectors when the bus cannot take the event, and logs it', async () => {
    const { embedTexts, events, find } = setup();
    events.failNext();
    await expect(embedTexts({ model: 'fake-3d', input: 'a' }, caller)).resolves.toMatchObject({ model: 'fake-3d' });
    expect(find('keel.inference.completed.v1 could not be published')).toHaveLength(1);
  });
});

describe('builtInEmbeddingsProvider', () => {
  it('names a remote built-in embedder by its endpoint kind, else embedded', () => {
    expect(builtInEmbeddingsProvider('openai-compatible:bge:384')).toBe('openai-compatible');
    expect(builtInEmbeddingsProvider('wink-sg-100d-sif-v1')).toBe('embedded');
  });
});
