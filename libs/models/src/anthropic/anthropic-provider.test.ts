import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GenerationEvent, type GenerationStream, isProviderError, type ProviderError } from '../chat-model.js';
import { withRetries } from '../providers/retry.js';
import {
  anthropicAnswer,
  type FakeUpstream,
  garbage,
  json,
  rateLimited,
  serverError,
  slow,
  sse,
  startFakeUpstream,
} from '../testing/fake-upstream.js';
import { createAnthropicProvider, defaultAnthropicVersion } from './anthropic-provider.js';

const apiKey = 'sk-ant-test-secret-42';
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream({ apiKey, models: ['claude-fake-1', 'claude-fake-2'] });
});
afterAll(() => fake.close());
afterEach(() => {
  fake.requests.length = 0;
});

const provider = () => createAnthropicProvider({ baseUrl: `${fake.url}/v1`, apiKey });
const ask = { model: 'claude-fake-1', messages: [{ role: 'user' as const, content: 'Say hello' }] };

async function collect(stream: GenerationStream): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isProviderError(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('Anthropic Messages adapter', () => {
  it('lists the models with x-api-key and anthropic-version', async () => {
    expect(await provider().listModels()).toEqual(['claude-fake-1', 'claude-fake-2']);
    expect(fake.requests[0]?.headers['x-api-key']).toBe(apiKey);
    expect(fake.requests[0]?.headers['anthropic-version']).toBe(defaultAnthropicVersion);
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('translates an OpenAI-shaped request to Messages: system, tools, tool turns, tool_choice, stop', async () => {
    await provider()
      .model('claude-fake-1')
      .generate?.({
        model: 'claude-fake-1',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: 'Checking.',
            toolCalls: [
              { id: 'toolu_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
              { id: 'toolu_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
            ],
          },
          { role: 'tool', content: 'sunny', toolCallId: 'toolu_a' },
          { role: 'tool', content: 'rain', toolCallId: 'toolu_b' },
        ],
        tools: [
          { type: 'function', function: { name: 'weather', description: 'Weather', parameters: { type: 'object' } } },
        ],
        toolChoice: { type: 'function', function: { name: 'weather' } },
        temperature: 1.5,
        topP: 0.5,
        stop: ['END'],
        responseFormat: { type: 'json_object' },
      });
    const body = fake.requests[0]?.body;
    expect(fake.requests[0]?.path).toBe('/v1/messages');
    expect(body).toMatchObject({
      model: 'claude-fake-1',
      max_tokens: 4096,
      temperature: 1,
      top_p: 0.5,
      stop_sequences: ['END'],
      tools: [{ name: 'weather', description: 'Weather', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'weather' },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_a', name: 'weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_b', name: 'weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_a', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_b', content: 'rain' },
          ],
        },
      ],
    });
    expect(body?.system).toContain('Be brief.');
    expect(body?.system).toContain('JSON object');
  });

  it('translates the response back: text, tool_use as tool calls, stop reason, usage with cache tokens', async () => {
    fake.enqueue(anthropicAnswer({ toolUse: { name: 'weather', input: { city: 'Paris' } } }));
    const generation = await provider().model('claude-fake-1').generate?.(ask);
    expect(generation).toEqual({
      id: 'msg_fake',
      content: 'Hello from claude-fake-1.',
      toolCalls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
      finishReason: 'tool_calls',
      // input 10 + cache read 5 + cache write 1
      usage: { promptTokens: 16, completionTokens: 4, cachedTokens: 5, cacheWriteTokens: 1 },
    });
    fake.enqueue(anthropicAnswer({ stopReason: 'max_tokens' }));
    expect((await provider().model('claude-fake-1').generate?.(ask))?.finishReason).toBe('length');
  });

  it('streams text and tool_use deltas as OpenAI-shaped events, then finish and usage', async () => {
    fake.enqueue(anthropicAnswer({ toolUse: { name: 'weather', input: { city: 'Rome' } } }));
    const events = await collect(provider().model('claude-fake-1').stream?.(ask) as GenerationStream);
    expect(fake.requests[0]?.body?.stream).toBe(true);
    expect(events.flatMap((event) => (event.type === 'text' ? [event.text] : [])).join('')).toBe(
      'Hello from claude-fake-1.',
    );
    const calls = events.filter((event) => event.type === 'tool_call');
    expect(calls[0]).toMatchObject({ index: 0, id: 'toolu_1', name: 'weather' });
    expect(calls.map((call) => (call.type === 'tool_call' ? (call.arguments ?? '') : '')).join('')).toBe(
      '{"city":"Rome"}',
    );
    expect(events.slice(-2)).toEqual([
      { type: 'finish', finishReason: 'tool_calls' },
      { type: 'usage', usage: { promptTokens: 16, completionTokens: 4, cachedTokens: 5, cacheWriteTokens: 1 } },
    ]);
  });

  it('maps 429 with retry-after, 529 overloaded and 5xx, and a stream error event', async () => {
    fake.enqueue(rateLimited(3), serverError(529), json(404, { type: 'error', error: { message: 'model: nope' } }));
    expect(await failure(provider().model('x').generate?.(ask) as Promise<unknown>)).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 3000,
      retryable: true,
    });
    expect(await failure(provider().model('x').generate?.(ask) as Promise<unknown>)).toMatchObject({
      kind: 'upstream_error',
      status: 529,
      retryable: true,
    });
    expect(await failure(provider().model('x').generate?.(ask) as Promise<unknown>)).toMatchObject({
      kind: 'rejected',
      status: 404,
    });
    fake.enqueue(
      sse([{ event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }]),
    );
    expect((await failure(collect(provider().model('x').stream?.(ask) as GenerationStream))).kind).toBe(
      'upstream_error',
    );
  });

  it('a slow first byte times out; a drop mid-stream is stream_interrupted; garbage is malformed', async () => {
    fake.enqueue(slow(500));
    expect((await failure(provider().model('x').generate?.(ask, { timeoutMs: 100 }) as Promise<unknown>)).kind).toBe(
      'timeout',
    );
    fake.enqueue(anthropicAnswer({ drop: true }));
    const dropped = await failure(collect(provider().model('x').stream?.(ask) as GenerationStream));
    expect(dropped.kind).toBe('stream_interrupted');
    fake.enqueue(garbage(), json(200, { type: 'message', content: 'not blocks' }));
    expect((await failure(provider().model('x').generate?.(ask) as Promise<unknown>)).kind).toBe('malformed_response');
    expect((await failure(provider().model('x').generate?.(ask) as Promise<unknown>)).kind).toBe('malformed_response');
  });

  it('a wrong key is rejected without any key in the message', async () => {
    const wrong = createAnthropicProvider({ baseUrl: fake.url, apiKey: 'sk-ant-wrong-777' });
    const error = await failure(wrong.listModels());
    expect(error).toMatchObject({ kind: 'rejected', status: 401 });
    expect(error.message).not.toContain('sk-ant-wrong-777');
  });

  it('retries an overloaded stream before its first event', async () => {
    const model = withRetries(provider().model('claude-fake-1'), {
      maxAttempts: 3,
      baseDelayMs: 1,
      maxDelayMs: 2,
      attemptTimeoutMs: 1000,
      totalTimeoutMs: 5000,
    });
    fake.enqueue(serverError(529));
    const stream = model.stream?.(ask) as GenerationStream;
    const events = await collect(stream);
    expect(stream.attempts).toBe(2);
    expect(events.at(-2)).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('answers grounded questions with the contexts in the system prompt', async () => {
    fake.answerText = 'Five days [1].';
    try {
      const response = await provider()
        .model('claude-fake-1')
        .complete({
          model: 'claude-fake-1',
          messages: [{ role: 'user', content: 'Refunds?' }],
          contexts: [{ marker: 1, chunkId: 'b#0', documentId: 'b', title: 'Refunds', text: 'Refunds in five days.' }],
        });
      expect(response).toMatchObject({ content: 'Five days [1].', citedMarkers: [1], finishReason: 'stop' });
      expect(fake.requests[0]?.body?.system).toContain('[1] Refunds\nRefunds in five days.');
    } finally {
      fake.answerText = undefined;
    }
  });
});
