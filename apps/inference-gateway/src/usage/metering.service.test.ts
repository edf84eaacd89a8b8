/**
 * Tenancy and money through the gateway's HTTP surface, composed as main.ts composes it (embedded
 * store in a temporary data dir, a fake OpenAI-compatible upstream): issued keys through the admin
 * API, limits with OpenAI's headers and 429s, budgets under 50 concurrent requests, the cost on
 * responses, streams and cancelled streams, the usage ledger, and the response cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subscription } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import { type FakeUpstream, serverError, sse, startFakeUpstream } from '@keel/models/testing';
import type { RunningService } from '@keel/platform';
import { createTestLogger, testInternalAuthEnv } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import type { Embedder } from '@keel/text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceCompletedPayload } from '../answering/completion-event.js';
import type { PolicyGate } from '../answering/policy-gate.js';
import type { Retriever } from '../answering/retriever.js';
import { type ComposedGateway, composeGateway } from '../compose.js';
import { loadGatewayConfig } from '../config.js';
import { startGatewayService } from '../service.js';

const adminKey = 'admin-0123456789abcdef0123456789abcdef';
const staticKey = 'static-dev-key';
const policy: PolicyGate = {
  check: async (input) => ({
    decision: 'ALLOW',
    text: input.text,
    reason: '',
    decisionId: 'd',
    policyVersion: 'v1',
    findingTypes: [],
  }),
};
const retriever: Retriever = { search: async () => [] };
const embedder: Embedder = {
  id: 'fake-embedder-3d',
  dimensions: 3,
  embed: async (texts) => texts.map(() => [1, 0, 0]),
};

let upstream: FakeUpstream;
let deps: ComposedGateway;
let gateway: RunningService;
let dataDir: string;
let completed: InferenceCompletedPayload[];
let subscription: Subscription | undefined;

// gpt-fake: 1,000 per million in, 100 cached, 2,000 out. The fake answers 12 prompt tokens (8 cached)
// and 4 completion tokens (2 reasoning): 4×1000 + 8×100 + 4×2000 = 12,800 per million = 0.0128.
const answerCost = 0.0128;

beforeAll(async () => {
  upstream = await startFakeUpstream({ apiKey: 'sk-up', models: ['gpt-fake', 'gpt-unpriced'] });
  dataDir = mkdtempSync(join(tmpdir(), 'keel-gateway-metering-'));
  const config = loadGatewayConfig({
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    KEEL_API_KEYS: `${staticKey}=devs::dev`,
    KEEL_ADMIN_API_KEY: adminKey,
    KEEL_DATA_DIR: dataDir,
    KEEL_RESPONSE_CACHE_TTL_SECONDS: '600',
    KEEL_API_KEY_CACHE_MS: '0',
    KEEL_LIMITS_CACHE_MS: '0',
    ...testInternalAuthEnv,
    OPENAI_BASE_URL: `${upstream.url}/v1`,
    OPENAI_API_KEY: 'sk-up',
    KEEL_MODEL_MAX_ATTEMPTS: '1',
  });
  const bus = createEmbeddedEventBus();
  const composed = await composeGateway(config, createTestLogger('gateway-metering').logger, { bus, embedder });
  composed.tenancy?.prices.update({
    models: { 'gpt-fake': { inputPerMillion: 1000, outputPerMillion: 2000, cachedInputPerMillion: 100 } },
  });
  deps = { ...composed, policy, retriever, dependencyChecks: {} };
  gateway = await startGatewayService(deps, config);
  ({ payloads: completed, subscription } = await recordEvents(bus, 'keel.inference.completed.v1', 'metering-test'));
}, 60_000);

afterAll(async () => {
  await subscription?.stop();
  await gateway?.stop();
  await deps?.close();
  await deps?.bus.close();
  await upstream?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const url = (path: string) => `${gateway.urls.http}${path}`;

async function admin(method: string, path: string, body?: object) {
  const response = await fetch(url(path), {
    method,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function newKey(tenantId: string, extra: object = {}): Promise<{ id: string; key: string }> {
  const created = await admin('POST', '/v1/admin/keys', { tenantId, name: 'app', ...extra });
  expect(created.status).toBe(201);
  return created.body as { id: string; key: string };
}

const chat = (key: string, body: object, init: RequestInit = {}) =>
  fetch(url('/v1/chat/completions'), {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hi' }], ...body }),
    ...init,
  });

const eventOf = (requestId: string) =>
  waitFor(`the completion event of ${requestId}`, () => completed.find((event) => event.requestId === requestId), {
    timeoutMs: 5000,
  });

async function usageOf(key: string, query = '') {
  // Settlements and ledger writes land after the response: wait for those in flight.
  await deps.tenancy?.metering.flush();
  const response = await fetch(url(`/v1/usage${query}`), { headers: { authorization: `Bearer ${key}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as {
    totals: { requests: number; cost: number; cacheHits: number };
    groups: { key: string }[];
  };
}

describe('the admin API', () => {
  it('refuses callers without the admin key, and a tenant key is not one', async () => {
    expect((await fetch(url('/v1/admin/keys'))).status).toBe(401);
    const tenantKey = await fetch(url('/v1/admin/keys'), { headers: { authorization: `Bearer ${staticKey}` } });
    expect(tenantKey.status).toBe(401);
    expect(((await tenantKey.json()) as { code: string }).code).toBe('AUTH.INVALID_ADMIN_KEY');
  });

  it('creates a key whose secret is shown once, lists it without secrets, rotates and revokes it', async () => {
    const { id, key } = await newKey('acme', { groups: ['staff'], expiresInSeconds: 3600 });
    expect(key).toMatch(/^keel_sk_/);
    const listed = await admin('GET', '/v1/admin/keys?tenantId=acme');
    expect(JSON.stringify(listed.body)).not.toContain(key.slice(-20));
    expect(listed.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ id, groups: ['staff'] })]));
    expect((await chat(key, {})).status).toBe(200);

    const rotated = await admin('POST', `/v1/admin/keys/${id}/rotate`, { gracePeriodSeconds: 60 });
    const newSecret = (rotated.body as { key: string }).key;
    expect(newSecret).not.toBe(key);
    expect((await chat(key, {})).status).toBe(200);
    expect((await chat(newSecret, {})).status).toBe(200);

    expect((await admin('DELETE', `/v1/admin/keys/${id}`)).body).toMatchObject({ id, revokedAt: expect.any(String) });
    const refused = await chat(newSecret, {});
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    expect((await admin('POST', `/v1/admin/keys/${id}/rotate`, {})).status).toBe(409);
    expect((await admin('GET', '/v1/admin/keys/0000000000000000')).status).toBe(404);
  });

  it('answers 400 naming the field for a bad request', async () => {
    const bad = await admin('POST', '/v1/admin/keys', { tenantId: 'a b' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('tenantId');
    expect((await admin('PUT', '/v1/admin/tenants/acme/limits', { requestsPerMinute: 0 })).status).toBe(400);
  });
});

describe('costs and the usage ledger', () => {
  it('prices each answer: x-keel-cost on the response, cost and key in the event, one ledger entry', async () => {
    const { id, key } = await newKey('pricing');
    const response = await chat(key, {});
    expect(response.headers.get('x-keel-cost')).toBe(`${answerCost} USD`);
    const body = (await response.json()) as { id: string };
    const event = await eventOf(body.id);
    expect(event).toMatchObject({ cost: answerCost, currency: 'USD', priced: true, cacheHit: false, apiKeyId: id });
    expect(event).toMatchObject({ operation: 'chat', model: 'gpt-fake', requestedModel: 'gpt-fake' });
    expect(event.usage?.costUsd).toBe(answerCost);
    const usage = await usageOf(key, '?groupBy=key');
    expect(usage.totals).toMatchObject({ requests: 1, cost: answerCost });
    expect(usage.groups.map((group) => group.key)).toEqual([id]);
    await deps.tenancy?.metering.flush();
    const entries = await fetch(url('/v1/usage/entries'), { headers: { authorization: `Bearer ${key}` } });
    expect(((await entries.json()) as { data: unknown[] }).data).toEqual([
      expect.objectContaining({
        requestId: body.id,
        model: 'gpt-fake',
        promptTokens: 12,
        cachedTokens: 8,
        status: 'ok',
      }),
    ]);
    // The admin sees every tenant; a tenant only its own.
    await deps.tenancy?.metering.flush();
    const all = await admin('GET', '/v1/admin/usage?groupBy=tenant');
    expect((all.body.groups as { key: string }[]).map((group) => group.key)).toContain('pricing');
    expect((await usageOf(staticKey)).groups.every((group) => group.key !== 'pricing')).toBe(true);
  });

  it('prices grounded answers too: the built-in model is free, and priced', async () => {
    const response = await fetch(url('/v1/answers'), {
      method: 'POST',
      headers: { authorization: `Bearer ${staticKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'How long is the warranty?' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-keel-cost')).toBe('0 USD');
    const { id } = (await response.json()) as { id: string };
    // A static key is known by its subject (its configured name) in events, limits and the ledger.
    expect(await eventOf(id)).toMatchObject({
      cost: 0,
      priced: true,
      apiKeyId: 'dev',
      model: 'keel-extractive-v1',
      requestedModel: 'keel-extractive-v1',
      operation: 'answer',
    });
  });

  it('serves a model the price table does not know at 0, and says it is unpriced, not free', async () => {
    const { key } = await newKey('unpriced');
    const response = await chat(key, { model: 'gpt-unpriced' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-keel-cost')).toBe('0 USD');
    expect(response.headers.get('x-keel-cost-priced')).toBe('false');
    const { id } = (await response.json()) as { id: string };
    expect(await eventOf(id)).toMatchObject({ cost: 0, priced: false, model: 'gpt-unpriced' });
    const priced = await chat(key, {});
    expect(priced.headers.get('x-keel-cost-priced')).toBeNull();
  });

  it('puts a stream’s cost in its finish chunk, from the usage of the final chunk', async () => {
    const { key } = await newKey('streams');
    const response = await chat(key, { stream: true, stream_options: { include_usage: true } });
    const text = await response.text();
    const finish = text
      .split('\n\n')
      .map((line) => line.replace(/^data: /, ''))
      .filter((data) => data.startsWith('{'))
      .map((data) => JSON.parse(data) as { keel?: { cost?: object } })
      .find((chunk) => chunk.keel);
    expect(finish?.keel?.cost).toEqual({ amount: answerCost, currency: 'USD', priced: true });
    expect((await usageOf(key)).totals.cost).toBe(answerCost);
  });

  it('settles a stream the client cancels on the tokens it produced so far', async () => {
    const { key } = await newKey('cancels');
    await admin('PUT', '/v1/admin/tenants/cancels/limits', { budget: { amount: 10, period: 'day' } });
    const chunk = (content: string) => ({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-fake',
      choices: [{ index: 0, delta: { content }, finish_reason: null }],
    });
    upstream.enqueue(
      sse([chunk('one two three four five '), ...Array.from({ length: 20 }, () => chunk('more words here '))], {
        delayMs: 100,
      }),
    );
    const abort = new AbortController();
    const response = await chat(key, { stream: true }, { signal: abort.signal });
    const reader = response.body?.getReader();
    await reader?.read();
    await reader?.read();
    abort.abort();
    const entry = await waitFor(
      'the cancelled stream in the ledger',
      async () => {
        const usage = await fetch(url('/v1/usage/entries'), { headers: { authorization: `Bearer ${key}` } });
        const data = ((await usage.json()) as { data: { status: string; completionTokens: number; cost: number }[] })
          .data;
        return data[0];
      },
      { timeoutMs: 10_000 },
    );
    // The use case names a client that went away CLIENT.CLOSED (MODEL.CANCELLED when the upstream call is cut first).
    expect(entry.status).toMatch(/^(CLIENT\.CLOSED|MODEL\.CANCELLED)$/);
    expect(entry.completionTokens).toBeGreaterThan(0);
    expect(entry.cost).toBeGreaterThan(0);
    await deps.tenancy?.metering.flush();
    const limits = await admin('GET', '/v1/admin/tenants/cancels/limits');
    expect(limits.body.budgetPeriod).toMatchObject({ reserved: 0, spent: entry.cost });
  });
});

describe('limits', () => {
  it('sends the rate-limit headers, then 429 with retry-after and an OpenAI error past the limit', async () => {
    const { id, key } = await newKey('limited');
    await admin('PUT', `/v1/admin/keys/${id}/limits`, { requestsPerMinute: 2, tokensPerMinute: 100_000 });
    const first = await chat(key, {});
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s)$|^\dm\d+s$/);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    await chat(key, {});
    const third = await chat(key, {});
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(third.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(await third.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
    // The other keys of the tenant are not limited by this key's override.
    const other = await newKey('limited');
    expect((await chat(other.key, {})).status).toBe(200);
  });

  it('lets 50 concurrent requests spend no more than a small budget', async () => {
    const { id, key } = await newKey('budgeted');
    const set = await admin('PUT', `/v1/admin/keys/${id}/limits`, { budget: { amount: 0.1, period: 'day' } });
    expect(set.body).toMatchObject({ effective: { budget: { amount: 0.1, period: 'day' } } });
    upstream.clearQueues();
    // Fifty different requests: the response cache must not answer any of them.
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        chat(key, { max_tokens: 10, messages: [{ role: 'user', content: `Hi ${index}` }] }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    const served = statuses.filter((status) => status === 200).length;
    const refused = responses.filter((response) => response.status === 429);
    expect(served + refused.length).toBe(50);
    expect(served).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThan(0);
    expect(await refused[0]?.json()).toMatchObject({ error: { code: 'insufficient_quota' } });
    const usage = await usageOf(key);
    expect(usage.totals).toMatchObject({ requests: served, cacheHits: 0 });
    expect(usage.totals.cost).toBeCloseTo(served * answerCost, 9);
    expect(usage.totals.cost).toBeLessThanOrEqual(0.1);
    await deps.tenancy?.metering.flush();
    const limits = await admin('GET', `/v1/admin/keys/${id}/limits`);
    expect(limits.body.budgetPeriod).toMatchObject({ reserved: 0 });
  }, 60_000);
});

describe('the response cache', () => {
  it('answers the same request of the same tenant from the cache, free, as JSON or SSE; other tenants miss', async () => {
    const { key } = await newKey('cached');
    const other = await newKey('not-cached');
    const request = { messages: [{ role: 'user', content: 'Cache me' }], temperature: 0 };
    const calls = () => upstream.requests.filter((call) => call.path === '/v1/chat/completions').length;
    const before = calls();
    const miss = await chat(key, request);
    expect(miss.headers.get('x-keel-cache')).toBe('miss');
    const missBody = (await miss.json()) as { choices: { message: { content: string } }[] };
    await waitFor('the entry to be stored', async () => {
      const hit = await chat(key, request);
      return hit.headers.get('x-keel-cache') === 'hit' ? hit : undefined;
    });
    const hit = await chat(key, request);
    expect(hit.headers.get('x-keel-cache')).toBe('hit');
    expect(hit.headers.get('x-keel-cost')).toBe('0 USD');
    const hitBody = (await hit.json()) as { id: string; choices: { message: { content: string } }[]; keel: object };
    expect(hitBody.choices[0]?.message.content).toBe(missBody.choices[0]?.message.content);
    expect(hitBody.keel).toMatchObject({ cache: 'hit' });
    expect(await eventOf(hitBody.id)).toMatchObject({
      cacheHit: true,
      cost: 0,
      operation: 'chat',
      requestedModel: 'gpt-fake',
    });

    const streamed = await chat(key, { ...request, stream: true });
    expect(streamed.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await streamed.text();
    expect(text).toContain(missBody.choices[0]?.message.content ?? '');
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(calls() - before).toBe(1);

    const otherTenant = await chat(other.key, request);
    expect(otherTenant.headers.get('x-keel-cache')).toBe('miss');
    expect(calls() - before).toBe(2);
    expect((await usageOf(key)).totals.cacheHits).toBeGreaterThanOrEqual(3);
  });
});

describe('embeddings', () => {
  const embed = (key: string, body: object) =>
    fetch(url('/v1/embeddings'), {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-fake', input: ['one two three', 'four'], ...body }),
    });
  const embeddingEvents = (tenantId: string) =>
    completed.filter((event) => event.tenantId === tenantId && event.endpoint === '/v1/embeddings');

  it('meters /v1/embeddings as chat: rate-limit headers, x-keel-cost, the event, the ledger, 429 past the limit', async () => {
    const { id, key } = await newKey('embedder');
    await admin('PUT', `/v1/admin/keys/${id}/limits`, { requestsPerMinute: 2, tokensPerMinute: 100_000 });
    const first = await embed(key, {});
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    // The fake counts one token per word: 4 input tokens at 1,000 per million.
    expect(first.headers.get('x-keel-cost')).toBe('0.004 USD');
    expect(((await first.json()) as { usage: object }).usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    const [event] = await waitFor(
      'the embeddings event',
      () => embeddingEvents('embedder')[0] && embeddingEvents('embedder'),
    );
    expect(event).toMatchObject({
      operation: 'embeddings',
      model: 'gpt-fake',
      requestedModel: 'gpt-fake',
      provider: 'openai',
      attempts: 1,
      usage: { promptTokens: 4, completionTokens: 0, totalTokens: 4 },
      cost: 0.004,
      currency: 'USD',
      priced: true,
      apiKeyId: id,
      subject: 'app',
      question: '',
      answer: '',
    });
    expect(event?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(event?.requestId).toMatch(/^embd-/);
    await deps.tenancy?.metering.flush();
    const entries = await fetch(url('/v1/usage/entries'), { headers: { authorization: `Bearer ${key}` } });
    expect(((await entries.json()) as { data: unknown[] }).data).toEqual([
      expect.objectContaining({ requestId: event?.requestId, model: 'gpt-fake', promptTokens: 4, status: 'ok' }),
    ]);

    expect((await embed(key, {})).status).toBe(200);
    const third = await embed(key, {});
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await third.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
  });

  it('refuses embeddings a budget cannot cover, and records a failed call with its error and no cost', async () => {
    const { id, key } = await newKey('embed-budget');
    await admin('PUT', `/v1/admin/keys/${id}/limits`, { budget: { amount: 0.000001, period: 'day' } });
    const refused = await embed(key, {});
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'insufficient_quota' } });
    await deps.tenancy?.metering.flush();
    expect((await admin('GET', `/v1/admin/keys/${id}/limits`)).body.budgetPeriod).toMatchObject({ reserved: 0 });

    const other = await newKey('embed-failures');
    upstream.enqueue(serverError(500));
    const failed = await embed(other.key, {});
    expect(failed.status).toBe(502);
    const event = await waitFor('the failed embeddings event', () => embeddingEvents('embed-failures')[0]);
    expect(event).toMatchObject({
      operation: 'embeddings',
      errorCode: 'MODEL.UPSTREAM_ERROR',
      provider: 'openai',
      cost: 0,
      usage: { promptTokens: 0 },
    });
    // Refused before any embedder was asked: no event, nothing recorded.
    expect((await embed(other.key, { input: [] })).status).toBe(400);
    await deps.tenancy?.metering.flush();
    expect(embeddingEvents('embed-failures')).toHaveLength(1);
  });
});
