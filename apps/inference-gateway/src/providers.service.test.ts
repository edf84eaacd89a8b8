/**
 * Real model providers through the gateway, end to end: `OPENAI_BASE_URL` / `OPENAI_API_KEY` and
 * `ANTHROPIC_BASE_URL` / `ANTHROPIC_API_KEY` point the gateway (composed by compose.ts from its
 * config, as main.ts does) at fake upstreams speaking the real wire formats; the official
 * `openai` SDK calls the gateway. Policy and retrieval are in-process fakes of their ports (the
 * policy service's own behaviour is tested in its app).
 */

import {
  type AnswerRequest as GrpcAnswerRequest,
  type AnswerResponse as GrpcAnswerResponse,
  InferenceClient,
} from '@keel/contracts/inference/v1';
import type { Subscription } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import {
  anthropicAnswer,
  type FakeUpstream,
  garbage,
  json,
  openAiAnswer,
  rateLimited,
  serverError,
  slow,
  sse,
  startFakeUpstream,
} from '@keel/models/testing';
import { callUnary, createGrpcClient, GrpcCode, isKeelError, type RunningService } from '@keel/platform';
import { createTestLogger, testInternalAuth, testInternalAuthEnv } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import type { Embedder } from '@keel/text';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InferenceCompletedPayload } from './answering/completion-event.js';
import type { PolicyCheck, PolicyGate, PolicyVerdict } from './answering/policy-gate.js';
import type { RetrievedPassage, Retriever } from './answering/retriever.js';
import { type ComposedGateway, composeGateway } from './compose.js';
import { loadGatewayConfig } from './config.js';
import { startGatewayService } from './service.js';

const openAiKey = 'sk-openai-very-secret-key-123';
const anthropicKey = 'sk-ant-very-secret-key-456';
const keelKey = 'acme-key';

/** Blocks `forbidden-topic`, redacts e-mail addresses, blocks answers that mention `SECRET-PLAN`. */
const checks: PolicyCheck[] = [];
const policy: PolicyGate = {
  async check(input) {
    checks.push(input);
    const verdict = (decision: PolicyVerdict['decision'], text = input.text): PolicyVerdict => ({
      decision,
      text,
      reason: decision === 'ALLOW' ? '' : 'test policy',
      decisionId: `d-${checks.length}`,
      policyVersion: 'test@v1',
      findingTypes: decision === 'ALLOW' ? [] : ['test'],
    });
    if (input.text.includes('forbidden-topic')) return verdict('BLOCK');
    if (input.stage === 'output' && input.text.includes('SECRET-PLAN')) return verdict('BLOCK');
    const redacted = input.text.replace(/[\w.+-]+@[\w-]+\.\w+/g, '[EMAIL]');
    return redacted === input.text ? verdict('ALLOW') : verdict('REDACT', redacted);
  },
};

const passages: RetrievedPassage[] = [
  {
    chunkId: 'returns#0',
    documentId: 'returns',
    documentVersion: 'v1',
    title: 'Returns policy',
    source: 'kb://returns.md',
    text: 'Items can be returned within 30 days of delivery.',
    startOffset: 0,
    endOffset: 50,
    score: 1,
    aclGroups: [],
  },
  {
    chunkId: 'refunds#0',
    documentId: 'refunds',
    documentVersion: 'v1',
    title: 'Refunds',
    source: 'kb://refunds.md',
    text: 'Refunds are paid within five days.',
    startOffset: 0,
    endOffset: 34,
    score: 0.5,
    aclGroups: [],
  },
];
let searches = 0;
const retriever: Retriever = {
  async search() {
    searches++;
    return passages;
  },
};
const embedder: Embedder = {
  id: 'fake-embedder-3d',
  dimensions: 3,
  embed: async (texts) => texts.map(() => [1, 0, 0]),
};

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let deps: ComposedGateway;
let gateway: RunningService;
let completed: InferenceCompletedPayload[];
let subscription: Subscription | undefined;
const testLogger = createTestLogger('gateway-providers');

beforeAll(async () => {
  openai = await startFakeUpstream({ apiKey: openAiKey, models: ['gpt-fake', 'gpt-fake-mini'] });
  anthropic = await startFakeUpstream({ apiKey: anthropicKey, models: ['claude-fake'] });
  const config = loadGatewayConfig({
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    KEEL_API_KEYS: `${keelKey}=acme:staff:alice`,
    ...testInternalAuthEnv,
    OPENAI_BASE_URL: `${openai.url}/v1`,
    OPENAI_API_KEY: openAiKey,
    ANTHROPIC_BASE_URL: anthropic.url,
    ANTHROPIC_API_KEY: anthropicKey,
    KEEL_MODEL_MAX_ATTEMPTS: '3',
    KEEL_MODEL_ATTEMPT_TIMEOUT_MS: '400',
    KEEL_MODEL_TOTAL_TIMEOUT_MS: '5s',
    KEEL_MODEL_RETRY_BASE_MS: '1',
    KEEL_MODEL_RETRY_MAX_MS: '5',
  });
  const bus = createEmbeddedEventBus();
  const composed = await composeGateway(config, testLogger.logger, { bus, embedder });
  deps = { ...composed, policy, retriever, dependencyChecks: {} };
  gateway = await startGatewayService(deps, config);
  ({ payloads: completed, subscription } = await recordEvents(bus, 'keel.inference.completed.v1', 'providers-test'));
}, 60_000);

afterAll(async () => {
  await subscription?.stop();
  await gateway?.stop();
  await deps?.close();
  await deps?.bus.close();
  await openai?.close();
  await anthropic?.close();
});

beforeEach(() => {
  checks.length = 0;
  openai.requests.length = 0;
  anthropic.requests.length = 0;
  searches = 0;
});

const client = (options: { maxRetries?: number } = {}) =>
  new OpenAI({ apiKey: keelKey, baseURL: `${gateway.urls.http}/v1`, maxRetries: options.maxRetries ?? 0 });

async function eventOf(requestId: string): Promise<InferenceCompletedPayload> {
  return waitFor(
    `the completion event of ${requestId}`,
    () => completed.find((payload) => payload.requestId === requestId),
    {
      timeoutMs: 5000,
    },
  );
}

async function errorOf(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof OpenAI.APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
  return error;
}

describe('providers configured by OPENAI_* and ANTHROPIC_* variables', () => {
  it("lists the providers' models, owned by their provider, with the built-in model, and no secret", async () => {
    const response = await fetch(`${gateway.urls.http}/v1/models`, { headers: { authorization: `Bearer ${keelKey}` } });
    const text = await response.text();
    expect(text).not.toContain(openAiKey);
    expect(text).not.toContain(anthropicKey);
    const models = (JSON.parse(text) as { data: { id: string; owned_by: string }[] }).data;
    expect(models.map((model) => [model.id, model.owned_by])).toEqual([
      ['keel-extractive-v1', 'keel'],
      ['gpt-fake', 'openai'],
      ['gpt-fake-mini', 'openai'],
      ['claude-fake', 'anthropic'],
      ['fake-embedder-3d', 'keel'],
    ]);
    expect((await client().models.retrieve('claude-fake')).owned_by).toBe('anthropic');
  });

  it('answers a chat completion with the provider, passing tools and settings through, retrieving nothing', async () => {
    openai.enqueue(openAiAnswer({ toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } }));
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    const completion = await client().chat.completions.create({
      model: 'gpt-fake',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris? Mail me at bob@example.com' },
      ],
      tools,
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      temperature: 0.3,
      top_p: 0.8,
      stop: ['END'],
      max_tokens: 50,
    });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      id: 'call_1',
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    });
    const upstream = openai.requests.find((request) => request.path === '/v1/chat/completions');
    expect(upstream?.headers.authorization).toBe(`Bearer ${openAiKey}`);
    expect(upstream?.body).toMatchObject({
      model: 'gpt-fake',
      tools,
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      temperature: 0.3,
      top_p: 0.8,
      stop: ['END'],
      max_tokens: 50,
      // Every system and user message was checked; the e-mail address was redacted before the call.
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris? Mail me at [EMAIL]' },
      ],
    });
    expect(checks.filter((check) => check.stage === 'input')).toHaveLength(2);
    expect(searches).toBe(0);
    const event = await eventOf(completion.id);
    expect(event).toMatchObject({
      endpoint: '/v1/chat/completions',
      model: 'gpt-fake',
      provider: 'openai',
      attempts: 1,
      streamed: false,
      subject: 'alice',
      question: 'Weather in Paris? Mail me at [EMAIL]',
      usage: { promptTokens: 12, completionTokens: 4, totalTokens: 16, cachedTokens: 8, reasoningTokens: 2 },
    });
    expect(event.errorCode ?? '').toBe('');
  });

  it('streams a provider answer as chat.completion.chunk events with the final usage', async () => {
    const stream = await client().chat.completions.create({
      model: 'gpt-fake-mini',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let id = '';
    for await (const chunk of stream) {
      id = chunk.id;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello from gpt-fake-mini.');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: 4,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 8 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
    // The decisions of record; the held-back window's provisional checks come on top.
    const recorded = checks.filter((check) => check.audit !== false);
    expect(recorded.map((check) => check.stage)).toEqual(['input', 'output']);
    expect(recorded[1]?.text).toBe('Hello from gpt-fake-mini.');
    expect(checks.filter((check) => check.audit === false).map((check) => check.stage)).toEqual(['output']);
    expect(await eventOf(id)).toMatchObject({
      streamed: true,
      answer: 'Hello from gpt-fake-mini.',
      provider: 'openai',
    });
  });

  it('routes an Anthropic model by name, translating tool calls both ways, JSON and streamed', async () => {
    anthropic.enqueue(anthropicAnswer({ toolUse: { name: 'lookup', input: { q: 'keel' } } }));
    const completion = await client().chat.completions.create({
      model: 'claude-fake',
      messages: [
        { role: 'system', content: 'Use tools.' },
        { role: 'user', content: 'Find keel' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'toolu_0', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_0', content: 'nothing' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
    });
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: 'Hello from claude-fake.',
        tool_calls: [{ id: 'toolu_1', function: { name: 'lookup', arguments: '{"q":"keel"}' } }],
      },
    });
    expect(completion.usage).toMatchObject({
      prompt_tokens: 16,
      completion_tokens: 4,
      prompt_tokens_details: { cached_tokens: 5 },
    });
    const upstream = anthropic.requests.find((request) => request.path === '/v1/messages');
    expect(upstream?.headers['x-api-key']).toBe(anthropicKey);
    expect(upstream?.body).toMatchObject({
      system: 'Use tools.',
      messages: [
        { role: 'user' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_0', name: 'lookup', input: { q: 'x' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_0', content: 'nothing' }] },
      ],
    });
    // The tool's answer was checked as input too.
    expect(checks.filter((check) => check.stage === 'input').map((check) => check.text)).toContain('nothing');

    const stream = await client().chat.completions.create({
      model: 'claude-fake',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from claude-fake.');
  });

  it('answers /v1/answers with a provider model: numbered contexts in, [n] markers out as citations', async () => {
    openai.answerText = 'Refunds are paid within five days [2].';
    try {
      const response = await fetch(`${gateway.urls.http}/v1/answers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keelKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ question: 'How fast are refunds?', model: 'gpt-fake' }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        id: string;
        answer: string;
        model: string;
        citations: { marker: number; documentId: string }[];
      };
      expect(body).toMatchObject({ answer: 'Refunds are paid within five days [2].', model: 'gpt-fake' });
      expect(body.citations.map((citation) => [citation.marker, citation.documentId])).toEqual([[2, 'refunds']]);
      const sent = (openai.requests.at(-1)?.body?.messages ?? []) as { content: string }[];
      const system = sent[0]?.content;
      expect(system).toContain('[1] Returns policy\nItems can be returned within 30 days of delivery.');
      expect(system).toContain('[2] Refunds\nRefunds are paid within five days.');
      expect(searches).toBe(1);
      expect(await eventOf(body.id)).toMatchObject({ provider: 'openai', endpoint: '/v1/answers', attempts: 1 });
    } finally {
      openai.answerText = undefined;
    }
  });

  it('retries 429 and 5xx before answering, and records the attempts', async () => {
    openai.enqueue(rateLimited(0), serverError(503));
    const completion = await client().chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'Hello?' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Hello from gpt-fake.');
    expect(openai.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(3);
    expect(await eventOf(completion.id)).toMatchObject({ attempts: 3 });
  });

  it('a slow first byte on every attempt is a 504; an upstream 5xx throughout is a 502; garbage is a 502 at once', async () => {
    openai.enqueue(slow(1000), slow(1000), slow(1000));
    const timeout = await errorOf(
      client().chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(timeout.status).toBe(504);
    expect(timeout.message).toContain('did not answer in time');

    openai.enqueue(serverError(500), serverError(502), serverError(503));
    const upstream = await errorOf(
      client().chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(upstream.status).toBe(502);
    expect(upstream.message).toContain('after 3 attempts');

    openai.requests.length = 0;
    openai.enqueue(garbage());
    const malformed = await errorOf(
      client().chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(malformed.status).toBe(502);
    expect(malformed.code).toBe('MODEL.MALFORMED_RESPONSE');
    expect(openai.requests).toHaveLength(1);
    await waitFor(
      'the failure event',
      () => completed.some((event) => event.errorCode === 'MODEL.MALFORMED_RESPONSE'),
      {
        timeoutMs: 5000,
      },
    );
    const failed = completed.filter((event) => event.errorCode);
    expect(failed.map((event) => event.errorCode)).toEqual(
      expect.arrayContaining(['MODEL.TIMEOUT', 'MODEL.UPSTREAM_ERROR', 'MODEL.MALFORMED_RESPONSE']),
    );
    expect(failed.find((event) => event.errorCode === 'MODEL.TIMEOUT')).toMatchObject({ attempts: 3, answer: '' });
  });

  it('passes a rate limit that outlasts the retries on as 429 with retry-after', async () => {
    openai.enqueue(rateLimited(30));
    const error = await errorOf(
      client().chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(error.status).toBe(429);
    expect(error.headers?.get('retry-after')).toBe('30');
  });

  it('retries a stream only before its first byte; a drop after it ends the stream with an error event', async () => {
    openai.enqueue(serverError(503));
    const stream = await client().chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from gpt-fake.');

    openai.requests.length = 0;
    openai.enqueue(openAiAnswer({ drop: true }));
    const dropped = await client().chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let partial = '';
    const error = await errorOf(
      (async () => {
        for await (const chunk of dropped) partial += chunk.choices[0]?.delta.content ?? '';
      })(),
    );
    // The text before the drop was still in the held-back window, unchecked: none of it was sent.
    expect(partial).toBe('');
    expect(error.message).toContain('dropped');
    // Not retried: the client already had bytes.
    expect(openai.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(1);
  });

  it('refuses a blocked message before any call, and blocks a blocked answer (JSON: refusal; stream: error event)', async () => {
    const blocked = await errorOf(
      client().chat.completions.create({
        model: 'gpt-fake',
        messages: [
          { role: 'system', content: 'talk about forbidden-topic' },
          { role: 'user', content: 'Hi' },
        ],
      }),
    );
    expect(blocked.status).toBe(400);
    expect(blocked.code).toBe('content_policy_violation');
    expect(openai.requests).toHaveLength(0);

    openai.answerText = 'The SECRET-PLAN is ready.';
    try {
      const completion = await client().chat.completions.create({
        model: 'gpt-fake',
        messages: [{ role: 'user', content: 'Plan?' }],
      });
      expect(completion.choices[0]?.finish_reason).toBe('content_filter');
      expect(completion.choices[0]?.message.content).not.toContain('SECRET-PLAN');

      const stream = await client().chat.completions.create({
        model: 'gpt-fake',
        messages: [{ role: 'user', content: 'Plan?' }],
        stream: true,
      });
      let finished = false;
      const error = await errorOf(
        (async () => {
          for await (const chunk of stream) if (chunk.choices[0]?.finish_reason) finished = true;
        })(),
      );
      expect(error.message).toContain('blocked by the content policy');
      expect(finished).toBe(false);
    } finally {
      openai.answerText = undefined;
    }
  });

  it('passes further OpenAI parameters through, and max_completion_tokens under its own name', async () => {
    await client().chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'Hi' }],
      seed: 7,
      presence_penalty: 0.5,
      parallel_tool_calls: false,
      max_completion_tokens: 99,
    });
    expect(openai.requests.at(-1)?.body).toMatchObject({
      seed: 7,
      presence_penalty: 0.5,
      parallel_tool_calls: false,
      max_completion_tokens: 99,
    });
    expect(openai.requests.at(-1)?.body?.max_tokens).toBeUndefined();
  });

  it('never shows a provider key in an error, even one the upstream echoes', async () => {
    openai.enqueue(json(400, { error: { message: `Invalid parameter for key ${openAiKey}` } }));
    const rejected = await errorOf(
      client().chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(rejected.status).toBe(400);
    expect(rejected.message).toContain('Invalid parameter');
    expect(JSON.stringify(rejected.error)).not.toContain(openAiKey);
    anthropic.enqueue(json(401, { error: { message: `bad key ${anthropicKey}` } }));
    const refused = await errorOf(
      client().chat.completions.create({ model: 'claude-fake', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(refused.status).toBe(502);
    expect(JSON.stringify(refused.error)).not.toContain(anthropicKey);
  });

  it('answers /v1/answers with a failing provider as problem+json 502, and records the failure', async () => {
    openai.enqueue(serverError(500), serverError(500), serverError(500));
    const response = await fetch(`${gateway.urls.http}/v1/answers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keelKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'How fast are refunds?', model: 'gpt-fake' }),
    });
    expect(response.status).toBe(502);
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem.code).toBe('MODEL.UPSTREAM_ERROR');
    expect(problem.detail).toContain('after 3 attempts');
    await waitFor(
      'the failed answer event',
      () => completed.find((event) => event.endpoint === '/v1/answers' && event.errorCode === 'MODEL.UPSTREAM_ERROR'),
      { timeoutMs: 5000 },
    );
    const unknown = await fetch(`${gateway.urls.http}/v1/answers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keelKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'Refunds?', model: 'nope' }),
    });
    expect(unknown.status).toBe(404);
  });

  it('cancels the upstream call when the client goes away mid-stream, and records it', async () => {
    openai.enqueue(
      sse(
        [
          {
            id: 'c',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'gpt-fake',
            choices: [{ index: 0, delta: { content: 'one ' }, finish_reason: null }],
          },
          {
            id: 'c',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'gpt-fake',
            choices: [{ index: 0, delta: { content: 'two ' }, finish_reason: null }],
          },
          {
            id: 'c',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'gpt-fake',
            choices: [{ index: 0, delta: { content: 'three ' }, finish_reason: null }],
          },
          '[DONE]',
        ],
        { delayMs: 300 },
      ),
    );
    const controller = new AbortController();
    const response = await fetch(`${gateway.urls.http}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keelKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Count' }], stream: true }),
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    const event = await waitFor(
      'the cancelled stream event',
      () =>
        completed.find((payload) => payload.errorCode === 'CLIENT.CLOSED' || payload.errorCode === 'MODEL.CANCELLED'),
      { timeoutMs: 5000 },
    );
    expect(event.streamed).toBe(true);
    expect(event.answer).not.toContain('three');
  });

  it('checks tool-call arguments on the way out: redacted while they stay JSON, blocked otherwise', async () => {
    openai.enqueue(openAiAnswer({ toolCall: { name: 'send_mail', arguments: '{"to":"bob@example.com"}' } }));
    const redacted = await client().chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'Mail Bob' }],
    });
    expect(redacted.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      function: { name: 'send_mail', arguments: '{"to":"[EMAIL]"}' },
    });
    expect((redacted as unknown as { keel: { policy: { output: string } } }).keel.policy.output).toBe('REDACT');

    openai.enqueue(openAiAnswer({ toolCall: { name: 'publish', arguments: '{"text":"the SECRET-PLAN"}' } }));
    const blocked = await client().chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'Publish it' }],
    });
    expect(blocked.choices[0]?.finish_reason).toBe('content_filter');
    expect(blocked.choices[0]?.message.tool_calls).toBeUndefined();
    expect(blocked.choices[0]?.message.content).not.toContain('SECRET-PLAN');

    openai.enqueue(openAiAnswer({ toolCall: { name: 'publish', arguments: '{"text":"the SECRET-PLAN"}' } }));
    const stream = await client().chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'Publish it' }],
      stream: true,
    });
    const error = await errorOf(
      (async () => {
        for await (const _chunk of stream) {
          // drained
        }
      })(),
    );
    expect(error.message).toContain('blocked by the content policy');
  });

  it('answers gRPC Inference/Answer with a provider model, and maps its failure to a gRPC status', async () => {
    const grpc = createGrpcClient(InferenceClient, gateway.urls.grpc as string, {
      auth: testInternalAuth,
      callerName: 'test',
    });
    const answer = (request: Partial<GrpcAnswerRequest>) =>
      callUnary<GrpcAnswerRequest, GrpcAnswerResponse>(
        grpc.answer.bind(grpc),
        { tenantId: 'acme', question: '', aclGroups: [], model: '', topK: 0, ...request },
        { deadlineMs: 15_000, dependency: 'inference-gateway' },
      );
    try {
      openai.answerText = 'Within 30 days [1].';
      const response = await answer({ question: 'Returns?', model: 'gpt-fake' });
      expect(response).toMatchObject({ answer: 'Within 30 days [1].', model: 'gpt-fake' });
      expect(response.citations.map((citation) => citation.documentId)).toEqual(['returns']);

      openai.enqueue(slow(1000), slow(1000), slow(1000));
      const error = await answer({ question: 'Returns?', model: 'gpt-fake' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      // Not retried by the channel (the gateway already retried), with the reason and its code.
      expect(isKeelError(error) && error.grpcCode).toBe(GrpcCode.INTERNAL);
      expect(isKeelError(error) && error.code).toBe('MODEL.TIMEOUT');
      expect(String((error as Error).message)).toContain('did not answer in time');
      expect(openai.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(4);
    } finally {
      openai.answerText = undefined;
      grpc.close();
    }
  });

  it('an unknown model is a 404 model_not_found', async () => {
    const error = await errorOf(
      client().chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(error.status).toBe(404);
    expect(error.code).toBe('model_not_found');
  });

  it('never logged a provider key', () => {
    const logged = JSON.stringify(testLogger.lines());
    expect(logged).not.toContain(openAiKey);
    expect(logged).not.toContain(anthropicKey);
  });

  it('reports the providers in /readyz', async () => {
    const response = await fetch(`${gateway.urls.http}/readyz`);
    const body = (await response.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.checks['provider:openai']).toMatchObject({ ok: true });
    expect(body.checks['provider:anthropic']?.detail).toContain('1 models');
    expect(JSON.stringify(body)).not.toContain(openAiKey);
  });
});
