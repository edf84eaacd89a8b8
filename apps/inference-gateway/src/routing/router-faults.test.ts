/**
 * Every fault of the fake upstream through the router: the routing file is written to disk and
 * read by createGatewayRouting as the gateway does; three fake upstreams (two OpenAI-compatible,
 * one Anthropic) play the providers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GenerationEvent, type GenerationStream, isProviderError, type ProviderError } from '@keel/models';
import { createAnthropicProvider, createOpenAiCompatibleProvider } from '@keel/models/providers';
import {
  type FakeUpstream,
  garbage,
  openAiAnswer,
  rateLimited,
  serverError,
  slow,
  startFakeUpstream,
} from '@keel/models/testing';
import { createTestLogger } from '@keel/platform/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelCallErrorOf } from '../generation/model-errors.js';
import { createGatewayRouting, type GatewayRouting } from './gateway-routing.js';
import type { ProviderFactory } from './routing-table.js';

const secrets: Record<string, string> = {
  EAST_KEY: 'sk-east-secret-111',
  WEST_KEY: 'sk-west-secret-222',
  CLAUDE_KEY: 'sk-ant-claude-secret-333',
};
let east: FakeUpstream;
let west: FakeUpstream;
let claude: FakeUpstream;
let directory: string;
const opened: GatewayRouting[] = [];
const testLogger = createTestLogger('router-faults');

beforeAll(async () => {
  east = await startFakeUpstream({ apiKey: secrets.EAST_KEY });
  west = await startFakeUpstream({ apiKey: secrets.WEST_KEY });
  claude = await startFakeUpstream({ apiKey: secrets.CLAUDE_KEY, models: ['claude-fake'] });
  directory = await mkdtemp(join(tmpdir(), 'keel-router-'));
});
afterAll(async () => {
  await Promise.all([east?.close(), west?.close(), claude?.close()]);
  await rm(directory, { recursive: true, force: true });
});
afterEach(() => {
  for (const routing of opened.splice(0)) routing.stop();
  for (const fake of [east, west, claude]) {
    fake.clearQueues();
    fake.requests.length = 0;
  }
});

const createProvider: ProviderFactory = (spec) =>
  spec.kind === 'anthropic'
    ? createAnthropicProvider({ ...spec, apiKey: spec.apiKey ?? '' })
    : createOpenAiCompatibleProvider(spec);

function routingYaml(extra = ''): string {
  return `
providers:
  east: { kind: openai, baseUrl: "${east.url}/v1", apiKeyEnv: EAST_KEY, discoverModels: false }
  west: { kind: openai, baseUrl: "${west.url}/v1", apiKeyEnv: WEST_KEY, discoverModels: false }
  claude: { kind: anthropic, baseUrl: "${claude.url}", apiKeyEnv: CLAUDE_KEY, discoverModels: false }
models:
  chat:
    deployments:
      - { provider: east, model: east-model, weight: 1 }
      # weight 0: only when east fails, so the order is known
      - { provider: west, model: west-model, weight: 0 }
  solo:
    deployments: [{ provider: east, model: east-model }]
  backup:
    deployments: [{ provider: claude, model: claude-fake }]
  embed:
    type: embedding
    deployments: [{ provider: east, model: east-embed }]
  embed-west:
    type: embedding
    deployments: [{ provider: west, model: west-embed }]
fallbacks:
  solo: [backup]
  embed: [embed-west]
retries: { attempts: 2, backoffBaseMs: 1, backoffMaxMs: 5 }
timeouts: { perAttemptMs: 800, totalMs: 10s }
${extra}`;
}

async function routingOf(yaml = routingYaml()): Promise<GatewayRouting> {
  const file = join(directory, `routing-${opened.length}-${Date.now()}.yaml`);
  await writeFile(file, yaml);
  const routing = await createGatewayRouting({
    file,
    environmentProviders: [],
    defaults: { maxAttempts: 3, attemptTimeoutMs: 1000, totalTimeoutMs: 5000, baseDelayMs: 1, maxDelayMs: 5 },
    readSecret: (name) => secrets[name],
    createProvider,
    modelsRefreshMs: 60_000,
    logger: testLogger.logger,
    watch: { pollMs: 60_000 },
  });
  if (!routing) throw new Error('no routing');
  opened.push(routing);
  await routing.start();
  return routing;
}

const ask = { model: 'ignored', messages: [{ role: 'user' as const, content: 'Say hello' }] };
const calls = (fake: FakeUpstream) =>
  fake.requests.filter((request) => request.path === '/v1/chat/completions' || request.path === '/v1/messages').length;

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isProviderError(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

async function collect(stream: GenerationStream): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const textOf = (events: GenerationEvent[]) => events.map((event) => (event.type === 'text' ? event.text : '')).join('');

describe('routing through faults of the upstreams', () => {
  it('waits out a 429 retry-after and answers from the same deployment', async () => {
    const routing = await routingOf();
    east.enqueue(rateLimited(1));
    const startedAt = Date.now();
    const generation = await routing.find('solo')?.generate?.(ask);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(990);
    expect(generation).toMatchObject({
      content: 'Hello from east-model.',
      attempts: 2,
      servedBy: { provider: 'east', model: 'east-model' },
    });
    expect(calls(claude)).toBe(0);
  });

  it('a 429 longer than the time left moves on at once; 429s everywhere are a 429 with the shortest retry-after', async () => {
    const routing = await routingOf();
    east.enqueue(rateLimited(30));
    claude.enqueue(rateLimited(20));
    const startedAt = Date.now();
    const error = await failure(routing.find('solo')?.generate?.(ask) as Promise<unknown>);
    expect(Date.now() - startedAt).toBeLessThan(2500);
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 20_000, attempts: 2 });
    expect(error.message).toContain('tried east/east-model, claude/claude-fake');
    const answer = modelCallErrorOf(error);
    expect(answer).toMatchObject({ httpStatus: 429, retryAfterMs: 20_000 });
  });

  it('fails over from a deployment that answers 5xx to the next deployment, after its retries', async () => {
    const routing = await routingOf();
    east.enqueue(serverError(503), serverError(502));
    const generation = await routing.find('chat')?.generate?.(ask);
    expect(generation).toMatchObject({
      content: 'Hello from west-model.',
      attempts: 3,
      servedBy: { provider: 'west', model: 'west-model' },
    });
    expect([calls(east), calls(west)]).toEqual([2, 1]);
  });

  it('fails over to the fallback chain (another provider, another wire format), for grounded answers too', async () => {
    const routing = await routingOf();
    east.enqueue(serverError(500), serverError(500));
    const generation = await routing.find('solo')?.generate?.(ask);
    expect(generation).toMatchObject({ content: 'Hello from claude-fake.', servedBy: { provider: 'claude' } });
    expect(claude.requests.at(-1)?.headers['x-api-key']).toBe(secrets.CLAUDE_KEY);

    east.enqueue(serverError(500), serverError(500));
    const answer = await routing.find('solo')?.complete({
      model: 'solo',
      messages: [{ role: 'user', content: 'When?' }],
      contexts: [{ marker: 1, chunkId: 'c', documentId: 'd', title: 'T', text: 'Tomorrow.' }],
    });
    expect(answer).toMatchObject({ attempts: 3, servedBy: { provider: 'claude', model: 'claude-fake' } });
  });

  it('a slow first byte times the attempt out, and the stream fails over before anything was sent', async () => {
    const routing = await routingOf();
    east.enqueue(slow(2500), slow(2500));
    const startedAt = Date.now();
    const stream = routing.find('solo')?.stream?.(ask) as GenerationStream;
    const events = await collect(stream);
    expect(Date.now() - startedAt).toBeLessThan(4000);
    expect(textOf(events)).toBe('Hello from claude-fake.');
    expect(stream.servedBy).toEqual({ provider: 'claude', model: 'claude-fake' });
    expect(stream.attempts).toBe(3);
  });

  it('a connection dropped after the first streamed byte ends the stream: no failover, no replay', async () => {
    const routing = await routingOf();
    east.enqueue(openAiAnswer({ drop: true }));
    const stream = routing.find('chat')?.stream?.(ask) as GenerationStream;
    const seen: GenerationEvent[] = [];
    const error = await failure(
      (async () => {
        for await (const event of stream) seen.push(event);
      })(),
    );
    expect(textOf(seen).length).toBeGreaterThan(0);
    expect(error).toMatchObject({ kind: 'stream_interrupted', retryable: false, attempts: 1 });
    expect([calls(east), calls(west)]).toEqual([1, 0]);
  });

  it('garbage fails over at once (not retried on the same deployment); garbage everywhere is a 502', async () => {
    const routing = await routingOf();
    east.enqueue(garbage());
    expect(await routing.find('chat')?.generate?.(ask)).toMatchObject({ attempts: 2, servedBy: { provider: 'west' } });
    expect([calls(east), calls(west)]).toEqual([1, 1]);

    east.enqueue(garbage());
    west.enqueue(garbage());
    const error = await failure(routing.find('chat')?.generate?.(ask) as Promise<unknown>);
    expect(error).toMatchObject({ kind: 'malformed_response', attempts: 2 });
    expect(modelCallErrorOf(error).httpStatus).toBe(502);
  });

  it('an upstream that hangs everywhere is a 504 after every fallback', async () => {
    const routing = await routingOf();
    east.enqueue(slow(2500), slow(2500));
    claude.enqueue(slow(2500), slow(2500));
    const error = await failure(routing.find('solo')?.generate?.(ask) as Promise<unknown>);
    expect(error).toMatchObject({ kind: 'timeout', attempts: 4 });
    expect(modelCallErrorOf(error).httpStatus).toBe(504);
  });

  it('stops at a refusal of the request itself (400): no fallback would accept it either', async () => {
    const routing = await routingOf();
    east.enqueue((_request, res) => {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"context too long"}}');
    });
    const error = await failure(routing.find('solo')?.generate?.(ask) as Promise<unknown>);
    expect(error).toMatchObject({ kind: 'rejected', status: 400, attempts: 1 });
    expect(calls(claude)).toBe(0);
  });

  it('opens the breaker of a failing endpoint and skips it without a call until it may probe', async () => {
    const routing = await routingOf(routingYaml('circuitBreaker: { failureThreshold: 2, openMs: 400ms }'));
    east.enqueue(serverError(503), serverError(503));
    expect(await routing.find('solo')?.generate?.(ask)).toMatchObject({ servedBy: { provider: 'claude' } });
    expect(calls(east)).toBe(2);

    const next = await routing.find('solo')?.generate?.(ask);
    expect(next).toMatchObject({ attempts: 1, servedBy: { provider: 'claude' } });
    expect(calls(east)).toBe(2);

    // The breaker is the endpoint's, whichever model routes to it.
    expect(await routing.find('chat')?.generate?.(ask)).toMatchObject({ attempts: 1, servedBy: { provider: 'west' } });
    expect(calls(east)).toBe(2);

    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await routing.find('solo')?.generate?.(ask)).toMatchObject({ servedBy: { provider: 'east' } });
    expect(calls(east)).toBe(3);
  });

  it('counts a stream dropped after its first byte against its endpoint', async () => {
    const routing = await routingOf(routingYaml('circuitBreaker: { failureThreshold: 1, openMs: 10s }'));
    east.enqueue(openAiAnswer({ drop: true }));
    await failure(collect(routing.find('chat')?.stream?.(ask) as GenerationStream));
    expect(await routing.find('chat')?.generate?.(ask)).toMatchObject({ attempts: 1, servedBy: { provider: 'west' } });
    expect(calls(east)).toBe(1);
  });

  it('answers 503 with retry-after when every endpoint of a model is behind an open breaker', async () => {
    const routing = await routingOf(routingYaml('circuitBreaker: { failureThreshold: 1, openMs: 10s }'));
    east.enqueue(serverError(503));
    claude.enqueue(serverError(503));
    await failure(routing.find('solo')?.generate?.(ask) as Promise<unknown>);
    const before = calls(east) + calls(claude);
    const error = await failure(routing.find('solo')?.generate?.(ask) as Promise<unknown>);
    expect(calls(east) + calls(claude)).toBe(before);
    expect(error).toMatchObject({ kind: 'circuit_open', attempts: 0 });
    const answer = modelCallErrorOf(error);
    expect(answer.httpStatus).toBe(503);
    expect(answer.retryAfterMs).toBeGreaterThan(9000);
    expect(routing.openBreakers()).toEqual(['east', 'claude']);
    expect((await routing.checks()['routing-file']?.())?.detail).toContain('circuit open: east, claude');
    expect(testLogger.lines().filter((line) => String(line.msg).startsWith('circuit breaker opened'))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ provider: 'east' }),
        expect.objectContaining({ provider: 'claude' }),
      ]),
    );
  });

  it('routes embeddings the same way: an alias, retries, then its fallback', async () => {
    const routing = await routingOf();
    expect(routing.findEmbedding('chat')).toBeUndefined();
    east.enqueue(serverError(503), serverError(503));
    const result = await routing.findEmbedding('embed')?.embed({ input: ['one', 'two words'] });
    expect(result).toMatchObject({ attempts: 3, servedBy: { provider: 'west', model: 'west-embed' }, promptTokens: 3 });
    expect(result?.vectors).toHaveLength(2);
    expect(west.requests.at(-1)?.body).toMatchObject({ model: 'west-embed', input: ['one', 'two words'] });
  });

  it('never writes a key into a log or an error', () => {
    const logged = JSON.stringify(testLogger.lines());
    for (const secret of Object.values(secrets)) expect(logged).not.toContain(secret);
  });
});
