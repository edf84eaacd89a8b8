import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GenerationEvent, type GenerationStream, isProviderError, type ProviderError } from '../chat-model.js';
import { withRetries } from '../providers/retry.js';
import {
  type FakeUpstream,
  garbage,
  json,
  openAiAnswer,
  rateLimited,
  serverError,
  slow,
  sse,
  startFakeUpstream,
} from '../testing/fake-upstream.js';
import { createOpenAiCompatibleProvider } from './openai-compatible-provider.js';

const apiKey = 'sk-test-secret-0123456789';
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream({ apiKey, models: ['gpt-fake', 'gpt-fake-mini'] });
});
afterAll(() => fake.close());
afterEach(() => {
  fake.requests.length = 0;
});

const provider = () => createOpenAiCompatibleProvider({ baseUrl: `${fake.url}/v1/`, apiKey });
const ask = { model: 'gpt-fake', messages: [{ role: 'user' as const, content: 'Say hello' }] };

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

describe('OpenAI-compatible adapter', () => {
  it('lists the models with the bearer key', async () => {
    expect(await provider().listModels()).toEqual(['gpt-fake', 'gpt-fake-mini']);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${apiKey}`);
  });

  it('answers in JSON with usage including cached and reasoning tokens', async () => {
    const generation = await provider().model('gpt-fake').generate?.(ask);
    expect(generation).toMatchObject({
      id: 'chatcmpl-fake',
      content: 'Hello from gpt-fake.',
      toolCalls: [],
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 4, cachedTokens: 8, reasoningTokens: 2 },
    });
  });

  it('passes tools, tool_choice, response_format, sampling, stop and max_tokens through, and tool turns', async () => {
    fake.enqueue(openAiAnswer({ toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } }));
    const tools = [
      { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } },
    ];
    const generation = await provider()
      .model('gpt-fake')
      .generate?.({
        model: 'gpt-fake',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: null,
            toolCalls: [{ id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
          },
          { role: 'tool', content: 'sunny', toolCallId: 'call_0' },
        ],
        tools,
        toolChoice: 'required',
        responseFormat: { type: 'json_object' },
        temperature: 0.2,
        topP: 0.9,
        stop: ['END'],
        maxTokens: 64,
      });
    expect(fake.requests[0]?.body).toMatchObject({
      model: 'gpt-fake',
      tools,
      tool_choice: 'required',
      response_format: { type: 'json_object' },
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END'],
      max_tokens: 64,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_0' }] },
        { role: 'tool', content: 'sunny', tool_call_id: 'call_0' },
      ],
    });
    expect(generation).toMatchObject({
      content: null,
      finishReason: 'tool_calls',
      toolCalls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    });
  });

  it('streams deltas, then the finish and the usage of the final chunk', async () => {
    const events = await collect(provider().model('gpt-fake').stream?.(ask) as GenerationStream);
    expect(fake.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const text = events.flatMap((event) => (event.type === 'text' ? [event.text] : [])).join('');
    expect(text).toBe('Hello from gpt-fake.');
    expect(events.slice(-2)).toEqual([
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { promptTokens: 12, completionTokens: 4, cachedTokens: 8, reasoningTokens: 2 } },
    ]);
  });

  it('streams tool calls with their argument deltas', async () => {
    fake.enqueue(openAiAnswer({ toolCall: { name: 'lookup', arguments: '{"q":"keel"}' } }));
    const events = await collect(provider().model('gpt-fake').stream?.(ask) as GenerationStream);
    const calls = events.filter((event) => event.type === 'tool_call');
    expect(calls[0]).toMatchObject({ index: 0, id: 'call_1', name: 'lookup' });
    expect(calls.map((call) => (call.type === 'tool_call' ? (call.arguments ?? '') : '')).join('')).toBe(
      '{"q":"keel"}',
    );
    expect(events).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('429 is rate_limited, retryable, with the retry-after in milliseconds', async () => {
    fake.enqueue(rateLimited(7));
    const error = await failure(provider().model('gpt-fake').generate?.(ask) as Promise<unknown>);
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, status: 429, retryAfterMs: 7000 });
  });

  it('5xx is upstream_error, retryable; 400 is rejected, not retryable', async () => {
    fake.enqueue(serverError(502), json(400, { error: { message: `bad parameter for key ${apiKey}` } }));
    const upstream = await failure(provider().model('gpt-fake').generate?.(ask) as Promise<unknown>);
    expect(upstream).toMatchObject({ kind: 'upstream_error', retryable: true, status: 502 });
    const rejected = await failure(provider().model('gpt-fake').generate?.(ask) as Promise<unknown>);
    expect(rejected).toMatchObject({ kind: 'rejected', retryable: false, status: 400 });
    // An upstream that echoes the key does not get it into the error.
    expect(rejected.message).not.toContain(apiKey);
    expect(rejected.message).toContain('[redacted]');
  });

  it('a slow first byte is a timeout, retryable', async () => {
    fake.enqueue(slow(500));
    const error = await failure(provider().model('gpt-fake').generate?.(ask, { timeoutMs: 100 }) as Promise<unknown>);
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    fake.enqueue(slow(500));
    const streamError = await failure(
      collect(provider().model('gpt-fake').stream?.(ask, { timeoutMs: 100 }) as GenerationStream),
    );
    expect(streamError.kind).toBe('timeout');
  });

  it('a connection dropped mid-stream is stream_interrupted after the deltas already read', async () => {
    fake.enqueue(openAiAnswer({ drop: true }));
    const events: GenerationEvent[] = [];
    const error = await failure(
      (async () => {
        const stream = provider().model('gpt-fake').stream?.(ask) as GenerationStream;
        for await (const event of stream) events.push(event);
      })(),
    );
    expect(error.kind).toBe('stream_interrupted');
    expect(events.some((event) => event.type === 'text')).toBe(true);
    expect(events.some((event) => event.type === 'finish')).toBe(false);
  });

  it('garbage bodies are malformed_response, not retryable', async () => {
    fake.enqueue(garbage(), json(200, { object: 'chat.completion', choices: [] }), garbage('text/html'));
    const notJson = await failure(provider().model('gpt-fake').generate?.(ask) as Promise<unknown>);
    expect(notJson).toMatchObject({ kind: 'malformed_response', retryable: false });
    const noMessage = await failure(provider().model('gpt-fake').generate?.(ask) as Promise<unknown>);
    expect(noMessage.kind).toBe('malformed_response');
    const notSse = await failure(collect(provider().model('gpt-fake').stream?.(ask) as GenerationStream));
    expect(notSse.kind).toBe('malformed_response');
    fake.enqueue(sse(['{"not": "a chunk"', '[DONE]']));
    const badChunk = await failure(collect(provider().model('gpt-fake').stream?.(ask) as GenerationStream));
    expect(badChunk.kind).toBe('malformed_response');
  });

  it('an unreachable server is connection_failed and a wrong key is rejected without the key in the message', async () => {
    const closed = createOpenAiCompatibleProvider({ baseUrl: 'http://127.0.0.1:1/v1', apiKey });
    expect((await failure(closed.listModels({ timeoutMs: 2000 }))).kind).toBe('connection_failed');
    const wrong = createOpenAiCompatibleProvider({ baseUrl: `${fake.url}/v1`, apiKey: 'sk-wrong-key-999' });
    const error = await failure(wrong.listModels());
    expect(error).toMatchObject({ kind: 'rejected', status: 401 });
    expect(error.message).not.toContain('sk-wrong-key-999');
  });

  it('answers grounded questions from numbered contexts and reads the [n] markers back', async () => {
    fake.answerText = 'Refunds take five days [2], returns 30 days [1][2] and [9] is invented.';
    try {
      const response = await provider()
        .model('gpt-fake')
        .complete({
          model: 'gpt-fake',
          messages: [{ role: 'user', content: 'How do refunds work?' }],
          contexts: [
            { marker: 1, chunkId: 'a#0', documentId: 'a', title: 'Returns', text: 'Returns within 30 days.' },
            { marker: 2, chunkId: 'b#0', documentId: 'b', title: 'Refunds', text: 'Refunds in five days.' },
          ],
        });
      expect(response.citedMarkers).toEqual([2, 1]);
      const messages = fake.requests[0]?.body?.messages as { role: string; content: string }[];
      expect(messages[0]?.role).toBe('system');
      expect(messages[0]?.content).toContain('[1] Returns\nReturns within 30 days.');
      expect(messages[0]?.content).toContain('[2] Refunds\nRefunds in five days.');
      expect(messages.at(-1)).toEqual({ role: 'user', content: 'How do refunds work?' });
    } finally {
      fake.answerText = undefined;
    }
  });
});

describe('withRetries around the adapter', () => {
  const policy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, attemptTimeoutMs: 200, totalTimeoutMs: 5000 };

  it('retries 429 (waiting its retry-after) and 5xx, then answers, counting attempts', async () => {
    const waits: number[] = [];
    const model = withRetries(provider().model('gpt-fake'), {
      ...policy,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    fake.enqueue(rateLimited(2), serverError(500));
    const generation = await model.generate?.(ask);
    expect(generation?.attempts).toBe(3);
    expect(waits[0]).toBeGreaterThanOrEqual(2000);
    expect(waits[1]).toBeLessThanOrEqual(2);
  });

  it('gives up after maxAttempts with the last error and its attempts', async () => {
    const model = withRetries(provider().model('gpt-fake'), policy);
    fake.enqueue(serverError(500), serverError(502), serverError(503));
    const error = await failure(model.generate?.(ask) as Promise<unknown>);
    expect(error).toMatchObject({ kind: 'upstream_error', status: 503, attempts: 3 });
  });

  it('does not retry what is not retryable', async () => {
    const model = withRetries(provider().model('gpt-fake'), policy);
    fake.enqueue(garbage());
    const error = await failure(model.generate?.(ask) as Promise<unknown>);
    expect(error).toMatchObject({ kind: 'malformed_response', attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });

  it('does not wait for a retry-after longer than the total timeout', async () => {
    const model = withRetries(provider().model('gpt-fake'), { ...policy, totalTimeoutMs: 1000 });
    fake.enqueue(rateLimited(30));
    const startedAt = Date.now();
    const error = await failure(model.generate?.(ask) as Promise<unknown>);
    expect(error).toMatchObject({ kind: 'rate_limited', attempts: 1 });
    expect(Date.now() - startedAt).toBeLessThan(900);
  });

  it('retries a stream that failed before its first event (slow first byte), then streams', async () => {
    const model = withRetries(provider().model('gpt-fake'), { ...policy, attemptTimeoutMs: 100 });
    fake.enqueue(slow(400));
    const stream = model.stream?.(ask) as GenerationStream;
    const events = await collect(stream);
    expect(stream.attempts).toBe(2);
    expect(events.at(-1)?.type).toBe('usage');
  });

  it('never retries a stream after its first event: the drop ends it', async () => {
    const model = withRetries(provider().model('gpt-fake'), policy);
    fake.enqueue(openAiAnswer({ drop: true }));
    const error = await failure(collect(model.stream?.(ask) as GenerationStream));
    expect(error).toMatchObject({ kind: 'stream_interrupted', retryable: false, attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });
});
