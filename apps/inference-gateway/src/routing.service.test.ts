/**
 * The routing file end to end: the gateway composed by compose.ts from `KEEL_GATEWAY_CONFIG` (a
 * file on disk naming its keys by variable), two fake OpenAI-compatible upstreams as two
 * providers, and the official `openai` SDK calling the gateway's HTTP API: aliases, failover
 * across providers (JSON and streams), the errors after every fallback, embeddings, `/v1/models`,
 * `/v1/answers`, and a reload while serving.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subscription } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import {
  type FakeUpstream,
  garbage,
  openAiAnswer,
  rateLimited,
  serverError,
  slow,
  startFakeUpstream,
} from '@keel/models/testing';
import type { RunningService } from '@keel/platform';
import { createTestLogger, startTestTelemetry, type TestTelemetry, testInternalAuthEnv } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import type { Embedder } from '@keel/text';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InferenceCompletedPayload } from './answering/completion-event.js';
import type { PolicyGate } from './answering/policy-gate.js';
import type { Retriever } from './answering/retriever.js';
import { type ComposedGateway, composeGateway } from './compose.js';
import { loadGatewayConfig } from './config.js';
import { startGatewayService } from './service.js';

const primaryKey = 'sk-primary-routing-secret-1';
const secondaryKey = 'sk-secondary-routing-secret-2';
const keelKey = 'routing-key';

const policy: PolicyGate = {
  async check(input) {
    return { decision: 'ALLOW', text: input.text, reason: '', decisionId: 'd', policyVersion: 't@1', findingTypes: [] };
  },
};
const retriever: Retriever = {
  async search() {
    return [
      {
        chunkId: 'c#0',
        documentId: 'c',
        documentVersion: 'v1',
        title: 'Hours',
        source: 'kb://hours.md',
        text: 'The office opens at 8am.',
        startOffset: 0,
        endOffset: 24,
        score: 1,
        aclGroups: [],
      },
    ];
  },
};
const embedder: Embedder = {
  id: 'fake-embedder-3d',
  dimensions: 3,
  embed: async (texts) => texts.map(() => [1, 0, 0]),
};

let primary: FakeUpstream;
let secondary: FakeUpstream;
let directory: string;
let routingFile: string;
let deps: ComposedGateway;
let gateway: RunningService;
let completed: InferenceCompletedPayload[];
let subscription: Subscription | undefined;
const testLogger = createTestLogger('gateway-routing');
let telemetry: TestTelemetry;

const routingYaml = (extraModels = '') => `
# Two OpenAI-compatible servers; the keys come from the environment.
providers:
  primary:
    kind: openai
    baseUrl: ${primary.url}/v1
    apiKeyEnv: PRIMARY_KEY
  secondary:
    kind: openai
    baseUrl: ${secondary.url}/v1
    apiKeyEnv: SECONDARY_KEY
    discoverModels: false
models:
  smart:
    aliases: [smart-latest]
    deployments:
      - { provider: primary, model: big-model, weight: 1 }
      - { provider: secondary, model: other-model, weight: 0 }
  solo:
    deployments: [{ provider: primary, model: big-model }]
  embed-small:
    type: embedding
    deployments: [{ provider: primary, model: text-embed }]
${extraModels}
fallbacks:
  solo: [smart-backup]
retries: { attempts: 2, backoffBaseMs: 1, backoffMaxMs: 5 }
timeouts: { perAttemptMs: 1s, totalMs: 10s }
circuitBreaker: { failureThreshold: 50 }
pricing:
  models:
    big-model: { inputPerMillion: 1, outputPerMillion: 2 }
`;
const backupModel = '  smart-backup:\n    deployments: [{ provider: secondary, model: backup-model }]\n';

beforeAll(async () => {
  telemetry = startTestTelemetry('gateway-routing-test');
  primary = await startFakeUpstream({ apiKey: primaryKey, models: ['big-model', 'listed-only'] });
  secondary = await startFakeUpstream({ apiKey: secondaryKey });
  directory = await mkdtemp(join(tmpdir(), 'keel-gateway-routing-'));
  routingFile = join(directory, 'routing.yaml');
  await writeFile(routingFile, routingYaml(backupModel));
  const config = loadGatewayConfig({
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    KEEL_API_KEYS: `${keelKey}=acme:staff:alice`,
    ...testInternalAuthEnv,
    KEEL_GATEWAY_CONFIG: routingFile,
    PRIMARY_KEY: primaryKey,
    SECONDARY_KEY: secondaryKey,
  });
  const bus = createEmbeddedEventBus();
  const composed = await composeGateway(config, testLogger.logger, { bus, embedder });
  deps = { ...composed, policy, retriever, dependencyChecks: {} };
  gateway = await startGatewayService(deps, config);
  ({ payloads: completed, subscription } = await recordEvents(bus, 'keel.inference.completed.v1', 'routing-test'));
}, 60_000);

afterAll(async () => {
  telemetry?.stop();
  await subscription?.stop();
  await gateway?.stop();
  await deps?.close();
  await deps?.bus.close();
  await primary?.close();
  await secondary?.close();
  await rm(directory, { recursive: true, force: true });
});

beforeEach(() => {
  for (const fake of [primary, secondary]) {
    fake.clearQueues();
    fake.requests.length = 0;
  }
});

const client = () => new OpenAI({ apiKey: keelKey, baseURL: `${gateway.urls.http}/v1`, maxRetries: 0 });
const chatCalls = (fake: FakeUpstream) => fake.requests.filter((request) => request.path === '/v1/chat/completions');

async function errorOf(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof OpenAI.APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
  return error;
}

const eventOf = (requestId: string) =>
  waitFor(`the completion event of ${requestId}`, () => completed.find((event) => event.requestId === requestId), {
    timeoutMs: 5000,
  });

describe('the routing file through the gateway', () => {
  it('lists aliases and provider models in /v1/models, without a secret', async () => {
    const models = await client().models.list();
    const listed = Object.fromEntries(models.data.map((model) => [model.id, model.owned_by]));
    expect(listed).toMatchObject({
      'keel-extractive-v1': 'keel',
      smart: 'keel',
      'smart-latest': 'keel',
      solo: 'keel',
      'big-model': 'primary',
      'listed-only': 'primary',
      'embed-small': 'keel',
      'fake-embedder-3d': 'keel',
    });
    expect((await client().models.retrieve('embed-small')).owned_by).toBe('keel');
    const raw = JSON.stringify(models.data);
    expect(raw).not.toContain(primaryKey);
    expect(raw).not.toContain(secondaryKey);
  });

  it('fails a chat completion over from a 5xx deployment to another provider, and records who answered', async () => {
    primary.enqueue(serverError(503), serverError(503));
    const completion = await client().chat.completions.create({
      model: 'smart-latest',
      messages: [{ role: 'user', content: 'Hello?' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Hello from other-model.');
    expect(completion.model).toBe('smart-latest');
    expect((completion as unknown as { keel: { provider: string; attempts: number } }).keel).toMatchObject({
      provider: 'secondary',
      attempts: 3,
    });
    expect(chatCalls(secondary)[0]?.headers.authorization).toBe(`Bearer ${secondaryKey}`);
    expect(await eventOf(completion.id)).toMatchObject({
      operation: 'chat',
      model: 'other-model',
      requestedModel: 'smart-latest',
      provider: 'secondary',
      attempts: 3,
    });
    const span = await telemetry.waitForSpan((candidate) => candidate.name === 'chat smart-latest');
    expect(span.attributes).toMatchObject({
      'gen_ai.request.model': 'smart-latest',
      'gen_ai.response.model': 'other-model',
      'keel.model.served_by_provider': 'secondary',
      'keel.model.attempts': 3,
    });
  });

  it('streams from the fallback when the first deployment is slow to its first byte', async () => {
    primary.enqueue(slow(3000), slow(3000));
    const stream = await client().chat.completions.create({
      model: 'solo',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    let id = '';
    for await (const chunk of stream) {
      id = chunk.id;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello from backup-model.');
    expect(await eventOf(id)).toMatchObject({
      model: 'backup-model',
      requestedModel: 'solo',
      provider: 'secondary',
      attempts: 3,
      streamed: true,
    });
  });

  it('ends a stream dropped after its first byte with an error event, without failing over', async () => {
    primary.enqueue(openAiAnswer({ drop: true }));
    const stream = await client().chat.completions.create({
      model: 'smart',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const error = await errorOf(
      (async () => {
        for await (const _chunk of stream) {
          // Reading until the error event.
        }
      })(),
    );
    expect(error.message).toContain('dropped');
    expect(chatCalls(primary)).toHaveLength(1);
    expect(chatCalls(secondary)).toHaveLength(0);
    await waitFor('the failed stream event', () =>
      completed.find((event) => event.errorCode === 'MODEL.STREAM_INTERRUPTED' && event.provider === 'primary'),
    );
  });

  it('after every fallback: 429s are a 429 with retry-after, garbage a 502, a hang a 504, in OpenAI error bodies', async () => {
    primary.enqueue(rateLimited(40));
    secondary.enqueue(rateLimited(30));
    const limited = await errorOf(
      client().chat.completions.create({ model: 'solo', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(limited.status).toBe(429);
    expect(limited.headers?.get('retry-after')).toBe('30');
    expect(limited.type).toBe('rate_limit_error');

    primary.enqueue(garbage());
    secondary.enqueue(garbage());
    const bad = await errorOf(
      client().chat.completions.create({ model: 'solo', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(bad.status).toBe(502);
    expect(bad.code).toBe('MODEL.MALFORMED_RESPONSE');
    expect(bad.message).toContain('tried primary/big-model, secondary/backup-model');

    primary.enqueue(slow(3000), slow(3000));
    secondary.enqueue(slow(3000), slow(3000));
    const hung = await errorOf(
      client().chat.completions.create({ model: 'solo', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(hung.status).toBe(504);
    expect(hung.message).toContain('did not answer in time');
    for (const error of [limited, bad, hung]) {
      expect(JSON.stringify(error.error)).not.toContain(primaryKey);
      expect(JSON.stringify(error.error)).not.toContain(secondaryKey);
    }
  });

  it('answers /v1/answers with a routed model', async () => {
    primary.enqueue(serverError(500), serverError(500));
    const response = await fetch(`${gateway.urls.http}/v1/answers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keelKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'When does the office open?', model: 'solo' }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { id: string; answer: string };
    expect(answer.answer).toBe('Hello from backup-model.');
    expect(await eventOf(answer.id)).toMatchObject({
      operation: 'answer',
      model: 'backup-model',
      requestedModel: 'solo',
      provider: 'secondary',
      attempts: 3,
    });
  });

  it('routes /v1/embeddings to a provider by alias and by listed name; the built-in embedder stays', async () => {
    const routed = await client().embeddings.create({ model: 'embed-small', input: ['one', 'two'] });
    expect(routed.model).toBe('embed-small');
    expect(routed.data.map((item) => item.embedding.length)).toEqual([4, 4]);
    expect(primary.requests.find((request) => request.path === '/v1/embeddings')?.body).toMatchObject({
      model: 'text-embed',
      input: ['one', 'two'],
    });
    const listed = await client().embeddings.create({ model: 'listed-only', input: 'x', dimensions: 2 });
    expect(listed.data[0]?.embedding).toHaveLength(2);
    const builtIn = await client().embeddings.create({ model: 'fake-embedder-3d', input: 'x' });
    expect(builtIn.data[0]?.embedding).toEqual([1, 0, 0]);

    primary.enqueue(rateLimited(20), rateLimited(20));
    const limited = await errorOf(client().embeddings.create({ model: 'embed-small', input: 'x' }));
    expect(limited.status).toBe(429);
    expect(limited.headers?.get('retry-after')).toBe('20');
    const unknown = await errorOf(client().embeddings.create({ model: 'nope', input: 'x' }));
    expect(unknown.status).toBe(404);

    // Each call that reached an embedder published its completion event; the unknown model none.
    const embeddingsEvents = () => completed.filter((event) => event.endpoint === '/v1/embeddings');
    await waitFor('four embeddings events', () => embeddingsEvents().length >= 4 || undefined, { timeoutMs: 5000 });
    const byRequested = (name: string) => embeddingsEvents().filter((event) => event.requestedModel === name);
    expect(byRequested('embed-small')).toEqual([
      expect.objectContaining({
        operation: 'embeddings',
        model: 'text-embed',
        provider: 'primary',
        attempts: 1,
        usage: expect.objectContaining({ promptTokens: 2, completionTokens: 0 }),
      }),
      expect.objectContaining({ model: 'embed-small', provider: 'primary', errorCode: 'MODEL.RATE_LIMITED', cost: 0 }),
    ]);
    expect(byRequested('listed-only')).toEqual([
      expect.objectContaining({
        model: 'listed-only',
        provider: 'primary',
        usage: expect.objectContaining({ promptTokens: 1 }),
      }),
    ]);
    expect(byRequested('fake-embedder-3d')).toEqual([
      expect.objectContaining({ model: 'fake-embedder-3d', provider: 'embedded', attempts: 1 }),
    ]);
    expect(byRequested('nope')).toEqual([]);
  });

  it('reloads the file while serving: a new alias routes at once, an invalid version leaves it serving', async () => {
    await writeFile(
      routingFile,
      routingYaml(`${backupModel}  added:\n    deployments: [{ provider: secondary, model: added-model }]\n`),
    );
    await waitFor('the reloaded alias', async () =>
      (await client().models.list()).data.some((model) => model.id === 'added') ? true : undefined,
    );
    const completion = await client().chat.completions.create({
      model: 'added',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Hello from added-model.');
    expect(deps.providers?.current().pricing?.models['big-model']).toEqual({ inputPerMillion: 1, outputPerMillion: 2 });

    await writeFile(routingFile, routingYaml(`${backupModel}  broken: { deployments: [] }\n`));
    await waitFor('the rejection', () =>
      testLogger.lines().find((line) => String((line as { msg?: string }).msg).includes('was not applied')),
    );
    expect(
      (await client().chat.completions.create({ model: 'added', messages: [{ role: 'user', content: 'Hi' }] }))
        .choices[0]?.message.content,
    ).toBe('Hello from added-model.');
    const ready = (await (await fetch(`${gateway.urls.http}/readyz`)).json()) as {
      checks: Record<string, { detail: string }>;
    };
    expect(ready.checks['routing-file']?.detail).toContain('rejected since');
  });

  it('never logged a key', () => {
    const logged = JSON.stringify(testLogger.lines());
    expect(logged).not.toContain(primaryKey);
    expect(logged).not.toContain(secondaryKey);
  });
});
