import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { describe, expect, it } from 'vitest';
import { createResponseCache, responseCacheKey } from './response-cache.js';

const request = { messages: [{ role: 'user', content: 'Hi' }], temperature: 0 };

describe('the response cache', () => {
  it('keys on tenant, model and the whole request, ignoring key order and framing fields', () => {
    const key = responseCacheKey('acme', 'gpt-4o', request);
    expect(responseCacheKey('acme', 'gpt-4o', { temperature: 0, messages: [{ content: 'Hi', role: 'user' }] })).toBe(
      key,
    );
    expect(
      responseCacheKey('acme', 'gpt-4o', {
        ...request,
        stream: true,
        stream_options: { include_usage: true },
        user: 'u1',
      }),
    ).toBe(key);
    expect(responseCacheKey('other', 'gpt-4o', request)).not.toBe(key);
    expect(responseCacheKey('acme', 'gpt-4o-mini', request)).not.toBe(key);
    expect(responseCacheKey('acme', 'gpt-4o', { ...request, temperature: 0.1 })).not.toBe(key);
    expect(responseCacheKey('acme', 'gpt-4o', { ...request, messages: [{ role: 'user', content: 'Hi!' }] })).not.toBe(
      key,
    );
  });

  it('serves an entry to its tenant only, until its TTL', async () => {
    const cache = await createResponseCache(createEmbeddedDocumentStore({ path: ':memory:' }), 60_000);
    const key = cache.keyOf('acme', 'gpt-4o', request);
    await cache.put(
      {
        id: key,
        tenantId: 'acme',
        model: 'gpt-4o',
        provider: 'openai',
        content: 'Hello',
        toolCalls: [],
        finishReason: 'stop',
        usage: { promptTokens: 3, completionTokens: 1 },
        policy: { input: 'ALLOW', output: 'ALLOW' },
      },
      Date.now(),
    );
    expect((await cache.get('acme', key))?.content).toBe('Hello');
    expect(await cache.get('other', key)).toBeNull();
  });

  it('forgets an entry once its TTL has passed', async () => {
    const cache = await createResponseCache(createEmbeddedDocumentStore({ path: ':memory:' }), 1);
    const key = cache.keyOf('acme', 'gpt-4o', request);
    await cache.put(
      {
        id: key,
        tenantId: 'acme',
        model: 'gpt-4o',
        provider: 'openai',
        content: 'Hello',
        toolCalls: [],
        finishReason: 'stop',
        usage: { promptTokens: 3, completionTokens: 1 },
        policy: { input: 'ALLOW', output: 'ALLOW' },
      },
      Date.now() - 10,
    );
    expect(await cache.get('acme', key)).toBeNull();
  });
});
