/**
 * The gateway end to end: its HTTP API and its gRPC Inference service in front of a real policy
 * service (its own process, as deployed: an app may not import another app) and a fake retrieval
 * service (a real gRPC server implementing keel.retrieval.v1.Retrieval over a fixed corpus),
 * called with fetch, with the official `openai` SDK and with a generated gRPC client. Embeddings
 * come from the embedded word-vector embedder that compose.ts picks by default.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  type AnswerRequest as GrpcAnswerRequest,
  type AnswerResponse as GrpcAnswerResponse,
  InferenceClient,
} from '@keel/contracts/inference/v1';
import {
  RetrievalService,
  type RetrievedChunk,
  type SearchRequest,
  type SearchResponse,
} from '@keel/contracts/retrieval/v1';
import type { EventBus, Subscription } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import { createExtractiveChatModel } from '@keel/models/embedded';
import {
  callUnary,
  createGrpcClient,
  createLogger,
  GrpcCode,
  grpcHealthCheck,
  isKeelError,
  type KeelError,
  type RunningGrpcServer,
  type RunningService,
  startGrpcServer,
  unaryHandler,
} from '@keel/platform';
import {
  createTestLogger,
  startTestTelemetry,
  type TestTelemetry,
  testInternalAuth,
  testInternalAuthEnv,
} from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import type { Embedder } from '@keel/text';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceCompletedPayload } from './answering/completion-event.js';
import type { PolicyCheck } from './answering/policy-gate.js';
import type { RetrievalQuery, RetrievedPassage } from './answering/retriever.js';
import { type ComposedGateway, composeGateway } from './compose.js';
import { loadGatewayConfig } from './config.js';
import { startGatewayService } from './service.js';

const logger = createLogger('gateway-test', { level: 'silent' });
const policyMain = fileURLToPath(new URL('../../policy/src/main.ts', import.meta.url));

function chunk(
  tenant: string,
  id: string,
  title: string,
  text: string,
  aclGroups: string[] = [],
): RetrievedChunk & { tenant: string } {
  return {
    tenant,
    aclGroups,
    chunkId: `${id}#0`,
    documentId: id,
    documentVersion: 'v1',
    title,
    source: `kb://${id}.md`,
    text,
    startOffset: 0,
    endOffset: text.length,
    score: 0,
    denseRank: 0,
    keywordRank: 0,
  };
}

const corpus = [
  chunk(
    'demo',
    'returns',
    'Returns policy',
    'Items can be returned within 30 days of delivery. Refunds are paid to the original card within five days.',
  ),
  chunk('demo', 'warranty', 'Warranty', 'The warranty covers manufacturing defects for two years from purchase.'),
  chunk('acme', 'acme-travel', 'Travel', 'Hotel stays are reimbursed up to 180 euros per night.'),
  chunk('acme', 'acme-bonus', 'Bonus plan', 'Hotel managers get a bonus of 5 percent per night sold.', ['hr', 'staff']),
  chunk('acme', 'acme-board', 'Board notes', 'The board reviews hotel contracts every night.', ['board']),
];

/**
 * Ranks the chunks of the tenant the caller may read (open, or sharing a group) by words shared
 * with the query, like a (very) small keyword index.
 */
function search(request: SearchRequest): SearchResponse {
  const words = new Set(request.query.toLowerCase().match(/[a-z0-9]+/g) ?? []);
  const overlap = (text: string) => (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => words.has(w)).length;
  const readable = (c: RetrievedChunk) =>
    c.aclGroups.length === 0 || c.aclGroups.some((group) => request.aclGroups.includes(group));
  const chunks = corpus
    .filter((c) => c.tenant === request.tenantId && readable(c))
    .map(({ tenant: _tenant, ...c }) => ({ ...c, score: overlap(c.text) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, request.topK || 5);
  return { chunks, embedder: 'fake' };
}

interface AnswerBody {
  id: string;
  answer: string;
  model: string;
  citations: Record<string, unknown>[];
  usage: { promptTokens: number; completionTokens: number; totalTokens: number };
  policy: Record<'input' | 'output', { decision: string; policyVersion: string }>;
  flagged: boolean;
}

interface ProblemBody {
  status: number;
  code: string;
  detail: string;
  retryable: boolean;
  errors?: { field: string; message: string }[];
}

interface ReadinessBody {
  checks: Record<string, { ok: boolean; detail: string }>;
}

/** A gRPC Answer through the platform's client helper (trace context, tenant metadata, deadline). */
function grpcAnswer(
  client: InferenceClient,
  request: Partial<GrpcAnswerRequest>,
  metadataTenantId?: string,
): Promise<GrpcAnswerResponse> {
  return callUnary<GrpcAnswerRequest, GrpcAnswerResponse>(
    client.answer.bind(client),
    { tenantId: '', question: '', aclGroups: [], model: '', topK: 0, ...request },
    {
      deadlineMs: 15_000,
      dependency: 'inference-gateway',
      ...(metadataTenantId ? { tenantId: metadataTenantId } : {}),
    },
  );
}

async function grpcFailure(call: Promise<unknown>): Promise<KeelError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isKeelError(error)) throw new Error(`expected the call to fail with a KeelError, got ${String(error)}`);
  return error;
}

async function readJson<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Whether a TCP connection to host:port opens (then closes it). */
function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startPolicyProcess(dataDir: string): Promise<{ address: string; stop(): Promise<void> }> {
  const grpcPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GRPC_PORT: String(grpcPort),
    HTTP_PORT: String(await freePort()),
    HOST: '127.0.0.1',
    KEEL_DATA_DIR: dataDir,
    ...testInternalAuthEnv,
    // Policy's own HTTP API (the dry run) needs a key; the gateway only calls its gRPC port.
    KEEL_API_KEYS: 'policy-test-key=demo',
    LOG_LEVEL: 'warn',
  };
  // Embedded adapters, whatever the environment of the test run says.
  delete env.KAFKA_BROKERS;
  delete env.MONGODB_URL;
  delete env.POLICY_SEED_FILE;
  delete env.POLICY_DENIED_TOPICS;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', policyMain], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const address = `127.0.0.1:${grpcPort}`;
  const health = grpcHealthCheck(address, { auth: testInternalAuth });
  try {
    await waitFor(
      `the policy service on ${address}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`policy exited with ${child.exitCode}: ${stderr}`);
        return (await health()).ok;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } finally {
    health.close();
  }
  return {
    address,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

describe('inference gateway', () => {
  let dataDir: string;
  let policy: Awaited<ReturnType<typeof startPolicyProcess>>;
  let retrieval: RunningGrpcServer;
  let deps: ComposedGateway;
  let gateway: RunningService;
  let telemetry: TestTelemetry;
  const searches: SearchRequest[] = [];
  let completed: InferenceCompletedPayload[] = [];
  let subscription: Subscription;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gateway.urls.http}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer keel-demo-key', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    telemetry = startTestTelemetry('gateway-test');
    dataDir = mkdtempSync(join(tmpdir(), 'keel-gateway-'));
    policy = await startPolicyProcess(dataDir);
    retrieval = await startGrpcServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      services: [
        {
          definition: RetrievalService,
          implementation: {
            search: unaryHandler<SearchRequest, SearchResponse>(logger, async (request) => {
              searches.push(request);
              return search(request);
            }),
          },
        },
      ],
      auth: testInternalAuth,
    });
    const config = loadGatewayConfig({
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      HOST: '127.0.0.1',
      POLICY_ADDRESS: policy.address,
      RETRIEVAL_ADDRESS: retrieval.address,
      KEEL_API_KEYS: 'acme-key=acme:staff|eng:alice',
      KEEL_DEMO_API_KEY: 'keel-demo-key',
      ...testInternalAuthEnv,
      // A Check per text against the real service; in-process evaluation: guardrails/in-process-parity.test.ts.
      KEEL_POLICY_EVALUATION: 'remote',
    });
    deps = await composeGateway(config, logger);
    gateway = await startGatewayService(deps, config);
    const recorded = await recordEvents(deps.bus, 'keel.inference.completed.v1', 'gateway-test');
    ({ payloads: completed, subscription } = recorded);
  }, 120_000);

  afterAll(async () => {
    await subscription?.stop();
    await gateway?.stop();
    await deps?.close();
    await retrieval?.close();
    await policy?.stop();
    telemetry?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  describe('POST /v1/answers', () => {
    it('answers with citations of the quoted chunks only', async () => {
      const response = await post('/v1/answers', { question: 'Within how many days can items be returned?' });
      expect(response.status).toBe(200);
      const body = await readJson<AnswerBody>(response);
      expect(body).toMatchObject({
        answer: 'Items can be returned within 30 days of delivery. [1]',
        model: 'keel-extractive-v1',
        policy: { input: { decision: 'ALLOW', policyVersion: 'demo@v1' }, output: { decision: 'ALLOW' } },
        flagged: false,
      });
      expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.citations).toEqual([
        {
          marker: 1,
          documentId: 'returns',
          documentVersion: 'v1',
          title: 'Returns policy',
          source: 'kb://returns.md',
          chunkId: 'returns#0',
          startOffset: 0,
          endOffset: corpus[0]?.text.length,
          score: expect.any(Number),
          quote: 'Items can be returned within 30 days of delivery.',
        },
      ]);
      expect(body.usage.totalTokens).toBe(body.usage.promptTokens + body.usage.completionTokens);
      expect(searches.at(-1)).toMatchObject({ tenantId: 'demo', topK: 5, aclGroups: [] });
    });

    it('searches with the redacted question, in the tenant and ACL groups of the key', async () => {
      const response = await post(
        '/v1/answers',
        { question: 'I am ann@example.com: how much are hotel stays reimbursed?', topK: 3, filters: { lang: 'en' } },
        { authorization: 'Bearer acme-key' },
      );
      expect(response.status).toBe(200);
      const body = await readJson<AnswerBody>(response);
      expect(body.policy.input.decision).toBe('REDACT');
      expect(body.answer).toBe('Hotel stays are reimbursed up to 180 euros per night. [1]');
      expect(searches.at(-1)).toMatchObject({
        tenantId: 'acme',
        query: 'I am [EMAIL]: how much are hotel stays reimbursed?',
        topK: 3,
        aclGroups: ['staff', 'eng'],
        filters: { lang: 'en' },
      });
    });

    it('refuses a blocked question with a 422 problem and publishes no completion', async () => {
      const before = searches.length;
      const response = await post('/v1/answers', { question: 'How do I build a bomb?' });
      expect(response.status).toBe(422);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = await readJson<ProblemBody>(response);
      expect(problem).toMatchObject({
        status: 422,
        code: 'POLICY.BLOCKED',
        detail: 'the question was blocked by policy: denied topic "weapons"',
      });
      expect(searches.length).toBe(before);
    });

    it('publishes keel.inference.completed.v1 in the trace of the request', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const response = await post(
        '/v1/answers',
        { question: 'How long does the warranty cover defects?' },
        { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      );
      expect(response.status).toBe(200);
      const body = await readJson<AnswerBody>(response);
      const event = await waitFor('the completion event', () => completed.find((e) => e.requestId === body.id));
      expect(event).toMatchObject({
        traceId,
        tenantId: 'demo',
        endpoint: '/v1/answers',
        model: 'keel-extractive-v1',
        provider: 'embedded',
        question: 'How long does the warranty cover defects?',
        answer: body.answer,
        usage: { promptTokens: body.usage.promptTokens, completionTokens: body.usage.completionTokens },
      });
      expect(event.contexts.map((c) => c.chunkId)).toEqual(['warranty#0', 'returns#0']);
      expect(event.contexts[0]?.text).toBe(corpus[1]?.text);
      expect(event.citations.map((c) => c.chunkId)).toEqual(['warranty#0']);
      expect(event.policy.map((p) => [p.stage, p.decision])).toEqual([
        ['input', 'ALLOW'],
        ['output', 'ALLOW'],
        // The retrieved passages, checked before the model saw them.
        ['document', 'ALLOW'],
      ]);
      expect(event.latencyMs).toBeGreaterThanOrEqual(0);
      const modelSpan = await telemetry.waitForSpan(
        (span) => span.name === 'chat keel-extractive-v1' && span.spanContext().traceId === traceId,
      );
      expect(modelSpan.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'embedded',
        'gen_ai.request.model': 'keel-extractive-v1',
        'gen_ai.usage.output_tokens': body.usage.completionTokens,
      });
    });

    it('keeps the groups of restricted contexts on the completion event, and names who asked', async () => {
      const response = await post(
        '/v1/answers',
        { question: 'What bonus do hotel managers get per night?', topK: 10 },
        { authorization: 'Bearer acme-key' },
      );
      expect(response.status).toBe(200);
      const body = await readJson<AnswerBody>(response);
      const event = await waitFor('the completion event', () => completed.find((e) => e.requestId === body.id));
      // The key (groups staff, eng) reads the bonus plan (hr, staff) and the open travel policy,
      // never the board notes (board).
      expect(Object.fromEntries(event.contexts.map((c) => [c.documentId, c.aclGroups]))).toEqual({
        'acme-bonus': ['hr', 'staff'],
        'acme-travel': [],
      });
      // Whoever reads this exchange later must be able to read the bonus plan.
      expect(event.readRequires).toEqual([{ anyOf: ['hr', 'staff'] }]);
      expect(event.subject).toBe('alice');

      const demo = await readJson<AnswerBody>(await post('/v1/answers', { question: 'How long is the warranty?' }));
      const demoEvent = await waitFor('the demo completion', () => completed.find((e) => e.requestId === demo.id));
      expect(demoEvent).toMatchObject({ subject: 'demo', readRequires: [] });
    });

    it('rejects a missing key and an invalid body with problems', async () => {
      const unauthenticated = await post('/v1/answers', { question: 'x' }, { authorization: '' });
      expect(unauthenticated.status).toBe(401);
      expect(await unauthenticated.json()).toMatchObject({ code: 'AUTH.MISSING_API_KEY' });
      const invalid = await post('/v1/answers', { topK: 99 });
      expect(invalid.status).toBe(400);
      expect((await readJson<ProblemBody>(invalid)).errors?.map((e) => e.field)).toEqual(['question', 'topK']);
    });

    it('reports ready while policy, retrieval and the bus answer', async () => {
      const response = await fetch(`${gateway.urls.http}/readyz`);
      expect(response.status).toBe(200);
      expect(Object.keys((await readJson<ReadinessBody>(response)).checks).sort()).toEqual([
        'doc-store',
        'event-bus',
        'policy',
        'retrieval',
      ]);
    });
  });

  describe('OpenAI compatibility (official SDK)', () => {
    const client = () => new OpenAI({ baseURL: `${gateway.urls.http}/v1`, apiKey: 'keel-demo-key', maxRetries: 0 });

    it('lists the chat and embedding models', async () => {
      const models = await client().models.list();
      expect(models.data.map((model) => [model.id, model.object, model.owned_by])).toEqual([
        ['keel-extractive-v1', 'model', 'keel'],
        ['wink-sg-100d-sif-v1', 'model', 'keel'],
      ]);
      expect((await client().models.retrieve('keel-extractive-v1')).id).toBe('keel-extractive-v1');
      expect((await client().models.retrieve('wink-sg-100d-sif-v1')).owned_by).toBe('keel');
    });

    it('creates a chat completion with Keel citations on the side', async () => {
      const completion = await client().chat.completions.create({
        model: 'keel-extractive-v1',
        messages: [
          { role: 'system', content: 'Answer from the knowledge base.' },
          { role: 'user', content: 'Within how many days can items be returned?' },
        ],
      });
      expect(completion.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
      expect(completion.object).toBe('chat.completion');
      expect(completion.choices[0]?.message).toMatchObject({
        role: 'assistant',
        content: 'Items can be returned within 30 days of delivery. [1]',
      });
      expect(completion.choices[0]?.finish_reason).toBe('stop');
      expect(completion.usage?.total_tokens).toBe(
        (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
      );
      const keel = (completion as unknown as { keel: { citations: { chunkId: string }[] } }).keel;
      expect(keel.citations.map((c) => c.chunkId)).toEqual(['returns#0']);
      const event = await waitFor('the chat completion event', () =>
        completed.find((e) => e.requestId === completion.id),
      );
      expect(event.endpoint).toBe('/v1/chat/completions');
    });

    it('streams the same answer as server-sent chunks', async () => {
      const question = 'Within how many days can items be returned?';
      const stream = await client().chat.completions.create({
        model: 'keel-extractive-v1',
        messages: [{ role: 'user', content: question }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let content = '';
      const finishReasons: (string | null | undefined)[] = [];
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const part of stream) {
        content += part.choices[0]?.delta.content ?? '';
        if (part.choices[0]?.finish_reason) finishReasons.push(part.choices[0].finish_reason);
        if (part.usage) usage = part.usage;
        expect(part.object).toBe('chat.completion.chunk');
      }
      expect(content).toBe('Items can be returned within 30 days of delivery. [1]');
      expect(finishReasons).toEqual(['stop']);
      expect(usage?.completion_tokens).toBeGreaterThan(0);
    });

    it('ends a raw stream with data: [DONE]', async () => {
      const response = await post('/v1/chat/completions', {
        model: 'keel-extractive-v1',
        messages: [{ role: 'user', content: 'How long is the warranty?' }],
        stream: true,
      });
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await response.text();
      const events = text.split('\n\n').filter(Boolean);
      expect(events.at(-1)).toBe('data: [DONE]');
      expect(events.every((event) => event.startsWith('data: '))).toBe(true);
    });

    it('raises AuthenticationError for a wrong key', async () => {
      const wrong = new OpenAI({ baseURL: `${gateway.urls.http}/v1`, apiKey: 'not-a-key', maxRetries: 0 });
      const error = await wrong.models.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    });

    it('raises NotFoundError for an unknown model and BadRequestError for a blocked question', async () => {
      const missing = await client()
        .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
      expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');

      const blocked = await client()
        .chat.completions.create({ model: 'keel-extractive-v1', messages: [{ role: 'user', content: 'build a bomb' }] })
        .catch((e: unknown) => e);
      expect(blocked).toBeInstanceOf(OpenAI.BadRequestError);
      expect((blocked as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('content_policy_violation');
    });

    it('answers invalid requests and malformed JSON in the OpenAI error shape', async () => {
      const invalid = await post('/v1/chat/completions', { model: 'keel-extractive-v1', messages: 'hi' });
      expect(invalid.status).toBe(400);
      expect(invalid.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await invalid.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'messages' } });
      const malformed = await fetch(`${gateway.urls.http}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer keel-demo-key' },
        body: '{"model":',
      });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ error: { code: 'HTTP.MALFORMED_JSON' } });
    });
  });

  describe('gRPC keel.inference.v1.Inference/Answer', () => {
    let client: InferenceClient;

    beforeAll(() => {
      client = createGrpcClient(InferenceClient, gateway.urls.grpc as string, {
        auth: testInternalAuth,
        callerName: 'test',
      });
    });

    afterAll(() => {
      client?.close();
    });

    it('answers with citations, in the tenant of the request', async () => {
      const response = await grpcAnswer(client, {
        tenantId: 'demo',
        question: 'Within how many days can items be returned?',
      });
      expect(response).toMatchObject({
        answer: 'Items can be returned within 30 days of delivery. [1]',
        model: 'keel-extractive-v1',
        policyDecision: 'ALLOW',
      });
      expect(response.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.citations).toEqual([
        {
          documentId: 'returns',
          documentVersion: 'v1',
          chunkId: 'returns#0',
          title: 'Returns policy',
          source: 'kb://returns.md',
          startOffset: 0,
          endOffset: corpus[0]?.text.length,
          score: expect.any(Number),
          quote: 'Items can be returned within 30 days of delivery.',
          marker: 1,
        },
      ]);
      expect(response.usage?.totalTokens).toBeGreaterThan(0);
      expect(response.usage?.totalTokens).toBe(
        (response.usage?.promptTokens ?? 0) + (response.usage?.completionTokens ?? 0),
      );
      expect(searches.at(-1)).toMatchObject({ tenantId: 'demo', topK: 5, aclGroups: [] });
      const event = await waitFor('the gRPC completion event', () =>
        completed.find((e) => e.requestId === response.requestId),
      );
      // No API key on this port: the calling service is who asked.
      expect(event).toMatchObject({
        endpoint: 'keel.inference.v1.Inference/Answer',
        tenantId: 'demo',
        subject: 'service:test',
      });
    });

    it('searches with the ACL groups and top_k of the request, and the tenant in both request and metadata', async () => {
      const response = await grpcAnswer(
        client,
        {
          tenantId: 'acme',
          question: 'How much are hotel stays reimbursed?',
          aclGroups: ['staff'],
          model: 'keel-extractive-v1',
          topK: 2,
        },
        'acme',
      );
      expect(response.answer).toBe('Hotel stays are reimbursed up to 180 euros per night. [1]');
      expect(searches.at(-1)).toMatchObject({ tenantId: 'acme', topK: 2, aclGroups: ['staff'] });
    });

    it('refuses a tenant that differs from the x-keel-tenant-id metadata with INVALID_ARGUMENT', async () => {
      const before = searches.length;
      const error = await grpcFailure(grpcAnswer(client, { tenantId: 'acme', question: 'Hotel stays?' }, 'demo'));
      expect(error.grpcCode).toBe(GrpcCode.INVALID_ARGUMENT);
      expect(error.violations).toEqual([{ field: 'tenant_id', message: 'differs from the x-keel-tenant-id metadata' }]);
      expect(searches.length).toBe(before);
    });

    it('refuses a missing question or tenant with INVALID_ARGUMENT naming the fields', async () => {
      const missingQuestion = await grpcFailure(grpcAnswer(client, { tenantId: 'demo', question: '  ' }));
      expect(missingQuestion.grpcCode).toBe(GrpcCode.INVALID_ARGUMENT);
      expect(missingQuestion.violations).toEqual([{ field: 'question', message: 'is required' }]);
      const missingTenant = await grpcFailure(grpcAnswer(client, { question: 'Hotel stays?' }));
      expect(missingTenant.violations.map((v) => v.field)).toEqual(['tenant_id']);
    });

    it('answers an unknown model with NOT_FOUND', async () => {
      const error = await grpcFailure(grpcAnswer(client, { tenantId: 'demo', question: 'Hotel?', model: 'gpt-4o' }));
      expect(error).toMatchObject({ grpcCode: GrpcCode.NOT_FOUND, code: 'MODEL.NOT_FOUND' });
    });

    it('refuses a blocked question with FAILED_PRECONDITION and POLICY.BLOCKED', async () => {
      const before = searches.length;
      const error = await grpcFailure(grpcAnswer(client, { tenantId: 'demo', question: 'How do I build a bomb?' }));
      expect(error).toMatchObject({ grpcCode: GrpcCode.FAILED_PRECONDITION, code: 'POLICY.BLOCKED', retryable: false });
      expect(error.message).toBe('the question was blocked by policy: denied topic "weapons"');
      expect(searches.length).toBe(before);
    });

    it('reports SERVING on grpc.health.v1, for the server and the Inference service', async () => {
      for (const service of ['', 'keel.inference.v1.Inference']) {
        const health = grpcHealthCheck(gateway.urls.grpc as string, { auth: testInternalAuth, service });
        try {
          expect(await health()).toMatchObject({ ok: true, detail: expect.stringMatching(/SERVING$/) });
        } finally {
          health.close();
        }
      }
    });
  });

  describe('POST /v1/embeddings (official SDK)', () => {
    const client = () => new OpenAI({ baseURL: `${gateway.urls.http}/v1`, apiKey: 'keel-demo-key', maxRetries: 0 });
    const input = [
      'Items can be returned within 30 days.',
      'The warranty covers defects.',
      'Items can be returned within 30 days.',
    ];

    it("returns one float vector per input, of the embedder's dimensions, identical for identical inputs", async () => {
      const response = await client().embeddings.create({ model: deps.embedder.id, input, encoding_format: 'float' });
      expect(response.object).toBe('list');
      expect(response.model).toBe('wink-sg-100d-sif-v1');
      expect(response.data.map((item) => [item.object, item.index, item.embedding.length])).toEqual([
        ['embedding', 0, 100],
        ['embedding', 1, 100],
        ['embedding', 2, 100],
      ]);
      const [first, second, third] = response.data.map((item) => item.embedding);
      expect(third).toEqual(first);
      expect(second).not.toEqual(first);
      expect(first?.some((value) => value !== 0)).toBe(true);
      expect(response.usage.prompt_tokens).toBeGreaterThan(input.length);
      expect(response.usage.total_tokens).toBe(response.usage.prompt_tokens);
    });

    it('encodes base64 as little-endian float32, which the SDK decodes by default', async () => {
      const float = await client().embeddings.create({ model: deps.embedder.id, input, encoding_format: 'float' });
      const expected = float.data.map((item) => item.embedding.map((value) => Math.fround(value)));

      const base64 = await client().embeddings.create({ model: deps.embedder.id, input, encoding_format: 'base64' });
      const decoded = base64.data.map((item) => {
        const bytes = Buffer.from(item.embedding as unknown as string, 'base64');
        return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
      });
      expect(decoded).toEqual(expected);

      // Without encoding_format the SDK asks for base64 and decodes it itself.
      const sdkDefault = await client().embeddings.create({ model: deps.embedder.id, input: input[1] ?? '' });
      expect(sdkDefault.data.map((item) => Array.from(item.embedding))).toEqual([expected[1]]);
    });

    it('raises NotFoundError for an unknown model and BadRequestError naming input', async () => {
      const missing = await client()
        .embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] })
        .catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
      expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
      // A failed request is traced and measured under its own route, like a served one.
      const span = await telemetry.waitForSpan(
        (s) => s.attributes['url.path'] === '/v1/embeddings' && s.attributes['http.response.status_code'] === 404,
      );
      expect(span.name).toBe('POST /v1/embeddings');
      expect(span.attributes['http.route']).toBe('/v1/embeddings');

      const empty = await client()
        .embeddings.create({ model: deps.embedder.id, input: [] })
        .catch((e: unknown) => e);
      expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
      expect((empty as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input');

      const tooMany = await client()
        .embeddings.create({ model: deps.embedder.id, input: Array.from({ length: 2049 }, () => 'a') })
        .catch((e: unknown) => e);
      expect((tooMany as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input');

      const tooLong = await client()
        .embeddings.create({ model: deps.embedder.id, input: ['fine', 'word '.repeat(9000)] })
        .catch((e: unknown) => e);
      expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError);
      expect((tooLong as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input[1]');
    });

    it('needs an API key', async () => {
      const response = await fetch(`${gateway.urls.http}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: deps.embedder.id, input: 'a' }),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'missing_api_key' } });
    });
  });

  describe('with a dependency down', () => {
    async function gatewayWith(overrides: Record<string, string>) {
      const config = loadGatewayConfig({
        HTTP_PORT: '0',
        GRPC_PORT: '0',
        HOST: '127.0.0.1',
        POLICY_ADDRESS: policy.address,
        RETRIEVAL_ADDRESS: retrieval.address,
        POLICY_DEADLINE_MS: '1000',
        RETRIEVAL_DEADLINE_MS: '1000',
        KEEL_DEMO_API_KEY: 'keel-demo-key',
        ...testInternalAuthEnv,
        KEEL_POLICY_EVALUATION: 'remote',
        ...overrides,
      });
      const composed = await composeGateway(config, logger);
      const service = await startGatewayService(composed, config);
      return {
        url: service.urls.http as string,
        grpc: service.urls.grpc as string,
        stop: async () => {
          await service.stop();
          await composed.close();
        },
      };
    }

    it.each([
      ['retrieval', 'RETRIEVAL_ADDRESS'],
      ['policy', 'POLICY_ADDRESS'],
    ])('answers 503 naming %s, and is not ready', async (dependency, variable) => {
      const down = await gatewayWith({ [variable]: `127.0.0.1:${await freePort()}` });
      try {
        const response = await fetch(`${down.url}/v1/answers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer keel-demo-key' },
          body: JSON.stringify({ question: 'How long is the warranty?' }),
        });
        expect(response.status).toBe(503);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = await readJson<ProblemBody>(response);
        expect(problem).toMatchObject({ status: 503, code: 'DEPENDENCY.UNAVAILABLE', retryable: true });
        expect(problem.detail).toMatch(new RegExp(`^${dependency} unavailable`));

        const ready = await fetch(`${down.url}/readyz`);
        expect(ready.status).toBe(503);
        expect((await readJson<ReadinessBody>(ready)).checks[dependency]).toMatchObject({ ok: false });

        const client = createGrpcClient(InferenceClient, down.grpc, { auth: testInternalAuth, callerName: 'test' });
        try {
          const error = await grpcFailure(
            grpcAnswer(client, { tenantId: 'demo', question: 'How long is the warranty?' }),
          );
          expect(error).toMatchObject({
            grpcCode: GrpcCode.UNAVAILABLE,
            code: 'DEPENDENCY.UNAVAILABLE',
            retryable: true,
          });
          expect(error.message).toContain(`${dependency} unavailable`);
        } finally {
          client.close();
        }
      } finally {
        await down.stop();
      }
    });
  });
});

/**
 * The gateway against hostile callers, with fakes behind it that record every call: nothing a
 * malformed, oversized or unauthenticated request sends may reach policy, retrieval or the model,
 * and none of it may be logged as an error.
 */
describe('inference gateway against hostile requests', () => {
  const logs = createTestLogger('gateway-hostile-test', 'info');
  const checks: PolicyCheck[] = [];
  const searchesMade: RetrievalQuery[] = [];
  let bus: EventBus;
  let gateway: RunningService;
  const apiKey = 'hostile-test-key';

  const passage: RetrievedPassage = {
    chunkId: 'faq#0',
    documentId: 'faq',
    documentVersion: 'v1',
    title: 'FAQ',
    source: 'kb://faq.md',
    text: 'Refunds are paid within five days.',
    startOffset: 0,
    endOffset: 34,
    score: 1,
    aclGroups: [],
  };

  const send = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${gateway.urls.http}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...init.headers },
    });
  const postJson = (path: string, body: unknown) => send(path, { method: 'POST', body: JSON.stringify(body) });
  const openAi = () => new OpenAI({ baseURL: `${gateway.urls.http}/v1`, apiKey, maxRetries: 0 });

  beforeAll(async () => {
    bus = createEmbeddedEventBus();
    const embedder: Embedder = {
      id: 'fake-embedder-3d',
      dimensions: 3,
      embed: async (texts) => texts.map((text) => [text.length, 1, 0]),
    };
    // No HOST: the loopback default is under test too.
    const config = loadGatewayConfig({
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      KEEL_API_KEYS: `${apiKey}=acme:staff:mallory`,
      ...testInternalAuthEnv,
    });
    gateway = await startGatewayService(
      {
        bus,
        policy: {
          async check(check) {
            checks.push(check);
            return {
              decision: 'ALLOW',
              text: check.text,
              reason: '',
              decisionId: `d-${checks.length}`,
              policyVersion: 'v',
              findingTypes: [],
            };
          },
        },
        retriever: {
          async search(query) {
            searchesMade.push(query);
            return [passage];
          },
        },
        models: [createExtractiveChatModel()],
        embedder,
        dependencyChecks: {},
        logger: logs.logger,
      },
      config,
    );
  });

  afterAll(async () => {
    await gateway?.stop();
    await bus?.close();
  });

  it('answers a well-formed question (the fakes work)', async () => {
    const response = await postJson('/v1/answers', { question: 'When are refunds paid?' });
    expect(response.status).toBe(200);
    expect(checks.map((check) => check.stage)).toEqual(['input', 'document', 'output']);
    checks.length = 0;
    searchesMade.length = 0;
  });

  describe('malformed paths, encodings and bodies', () => {
    it('answers /v1/models/%ZZ with a 400 in OpenAI shape', async () => {
      for (const path of ['/v1/models/%ZZ', '/v1/models/%E0%A4%A', '/v1/models/abc%']) {
        const response = await send(path);
        expect(response.status, path).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await response.json()).toEqual({
          error: {
            message: expect.stringMatching(/percent-encoding/),
            type: 'invalid_request_error',
            param: null,
            code: 'HTTP.MALFORMED_PATH',
          },
        });
      }
      // The SDK encodes ids itself: it asks for a model literally named "%ZZ", which does not exist.
      const error = await openAi()
        .models.retrieve('%ZZ')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    });

    it('answers a body declared gzip that is not: 400, OpenAI shape on OpenAI routes, problem+json on /v1/answers', async () => {
      const notGzip = { method: 'POST', headers: { 'content-encoding': 'gzip' }, body: '{"question":"hi"}' };
      for (const path of ['/v1/chat/completions', '/v1/embeddings']) {
        const response = await send(path, notGzip);
        expect(response.status, path).toBe(400);
        expect(await response.json()).toMatchObject({
          error: { type: 'invalid_request_error', code: 'HTTP.MALFORMED_BODY_ENCODING' },
        });
      }
      const answers = await send('/v1/answers', notGzip);
      expect(answers.status).toBe(400);
      expect(answers.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await answers.json()).toMatchObject({ status: 400, code: 'HTTP.MALFORMED_BODY_ENCODING' });
    });

    it('answers a wrong method with 405 and Allow, in OpenAI shape on OpenAI routes', async () => {
      const chat = await send('/v1/chat/completions');
      expect(chat.status).toBe(405);
      expect(chat.headers.get('allow')).toBe('POST');
      expect(await chat.json()).toMatchObject({
        error: { type: 'invalid_request_error', code: 'HTTP.METHOD_NOT_ALLOWED' },
      });
      // What an OpenAI SDK sees: an APIError with the status and OpenAI's error type.
      const error = await openAi()
        .get('/chat/completions')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error).toMatchObject({ status: 405, type: 'invalid_request_error' });

      const models = await send('/v1/models', { method: 'DELETE' });
      expect(models.status).toBe(405);
      expect(models.headers.get('allow')).toBe('GET, HEAD');

      const answers = await send('/v1/answers', { method: 'PUT', body: '{}' });
      expect(answers.status).toBe(405);
      expect(answers.headers.get('allow')).toBe('POST');
      expect(answers.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('answers a JSON body that is not an object with "must be a JSON object" on every route', async () => {
      for (const path of ['/v1/answers', '/v1/chat/completions', '/v1/embeddings']) {
        for (const body of ['null', '"How do refunds work?"', '[1,2]', '42']) {
          const response = await send(path, { method: 'POST', body });
          expect(response.status, `${path} ${body}`).toBe(400);
          const text = await response.text();
          expect(text, `${path} ${body}`).toMatch(/must be a JSON object/);
          expect(text).not.toMatch(/not valid JSON/);
        }
      }
      expect(checks).toEqual([]);
    });
  });

  describe('questions nothing could answer, or over the limits, never reach policy', () => {
    const invisible = '\u200b\u200c\u200d\u2060\ufeff\u202e\u2066\u3164';

    it('refuses an over-long chat question naming messages[n].content, with zero policy checks', async () => {
      const error = await openAi()
        .chat.completions.create({
          model: 'keel-extractive-v1',
          messages: [
            { role: 'system', content: 'Answer from the FAQ.' },
            { role: 'user', content: 'Hello' },
            { role: 'assistant', content: 'Hi!' },
            { role: 'user', content: 'Why? '.repeat(2000) },
          ],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages[3].content');
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).type).toBe('invalid_request_error');
      expect(checks).toEqual([]);
      expect(searchesMade).toEqual([]);
    });

    it('refuses a question made only of invisible characters on every endpoint', async () => {
      const answers = await postJson('/v1/answers', { question: invisible });
      expect(answers.status).toBe(400);
      expect((await readJson<ProblemBody>(answers)).errors).toEqual([
        { field: 'question', message: 'must not be empty' },
      ]);

      const chat = await openAi()
        .chat.completions.create({
          model: 'keel-extractive-v1',
          messages: [{ role: 'user', content: invisible }],
        })
        .catch((e: unknown) => e);
      expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
      expect((chat as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages[0].content');

      const client = createGrpcClient(InferenceClient, gateway.urls.grpc as string, {
        auth: testInternalAuth,
        callerName: 'test',
      });
      try {
        const error = await grpcFailure(grpcAnswer(client, { tenantId: 'acme', question: invisible }));
        expect(error.grpcCode).toBe(GrpcCode.INVALID_ARGUMENT);
        expect(error.violations).toEqual([{ field: 'question', message: 'is required' }]);
      } finally {
        client.close();
      }
      expect(checks).toEqual([]);
      expect(searchesMade).toEqual([]);
    });

    it('bounds every field of /v1/answers and of chat completions, naming it', async () => {
      const problemFields = async (body: unknown) =>
        ((await readJson<ProblemBody>(await postJson('/v1/answers', body))).errors ?? []).map((e) => e.field);
      expect(await problemFields({ question: 'q'.repeat(4097) })).toEqual(['question']);
      expect(await problemFields({ question: 'ok', topK: 51 })).toEqual(['topK']);
      const manyFilters = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
      expect(await problemFields({ question: 'ok', filters: manyFilters })).toEqual(['filters']);
      expect(await problemFields({ question: 'ok', filters: { lang: 'x'.repeat(1025) } })).toEqual(['filters.lang']);
      expect(await problemFields({ question: 'ok', filters: { 'not a key': 'x' } })).toEqual(['filters.not a key']);

      const chatParam = async (body: Record<string, unknown>) => {
        const response = await postJson('/v1/chat/completions', {
          model: 'keel-extractive-v1',
          messages: [{ role: 'user', content: 'Why?' }],
          ...body,
        });
        expect(response.status).toBe(400);
        return ((await response.json()) as { error: { param: string | null } }).error.param;
      };
      expect(await chatParam({ model: 'm'.repeat(257) })).toBe('model');
      expect(await chatParam({ messages: Array.from({ length: 1025 }, () => ({ role: 'user', content: 'x' })) })).toBe(
        'messages',
      );
      expect(
        await chatParam({
          messages: [
            { role: 'system', content: 's'.repeat(131_073) },
            { role: 'user', content: 'Why?' },
          ],
        }),
      ).toBe('messages[0].content');
      expect(await chatParam({ max_tokens: 10_000_000 })).toBe('max_tokens');
      expect(await chatParam({ user: 'u'.repeat(513) })).toBe('user');
      expect(checks).toEqual([]);
      expect(searchesMade).toEqual([]);
    });

    it('refuses a maximum-size embeddings request of hostile words fast, while other routes stay fast', async () => {
      // One "word" of 900,000 letters: counting its tokens took minutes and held the event loop.
      const body = JSON.stringify({ model: 'fake-embedder-3d', input: ['a'.repeat(900_000)] });
      const startedAt = performance.now();
      const embedding = send('/v1/embeddings', { method: 'POST', body });
      const models = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const asked = performance.now();
        const response = await send('/v1/models');
        return { status: response.status, ms: performance.now() - asked };
      })();
      const [refused, listed] = await Promise.all([embedding, models]);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: { param: 'input[0]', type: 'invalid_request_error' } });
      expect(performance.now() - startedAt).toBeLessThan(3_000);
      expect(listed.status).toBe(200);
      expect(listed.ms).toBeLessThan(1_000);
    });
  });

  describe('internal gRPC', () => {
    it('refuses a plain Inference/Answer: UNAUTHENTICATED, no answer, nothing checked or searched', async () => {
      const raw = new InferenceClient(gateway.urls.grpc as string, credentials.createInsecure());
      const request: GrpcAnswerRequest = {
        tenantId: 'acme',
        question: 'When are refunds paid?',
        aclGroups: ['staff', 'board', 'hr'],
        model: '',
        topK: 50,
      };
      try {
        for (const token of [undefined, 'x'.repeat(40)]) {
          const metadata = new Metadata();
          if (token) metadata.set('authorization', `Bearer ${token}`);
          const outcome = await new Promise<{ error: ServiceError | null; response?: GrpcAnswerResponse }>((resolve) =>
            raw.answer(request, metadata, { deadline: Date.now() + 5000 }, (error, response) =>
              resolve({ error, response }),
            ),
          );
          expect(outcome.error?.code).toBe(status.UNAUTHENTICATED);
          expect(outcome.response).toBeUndefined();
        }
      } finally {
        raw.close();
      }
      expect(checks).toEqual([]);
      expect(searchesMade).toEqual([]);
      expect(logs.find('internal call refused').map((line) => line.level)).toEqual(['warn', 'warn']);
    });

    it('binds HTTP and gRPC to loopback unless HOST says otherwise', async () => {
      const httpUrl = new URL(gateway.urls.http as string);
      const grpcAddress = gateway.urls.grpc as string;
      expect(httpUrl.hostname).toBe('127.0.0.1');
      expect(grpcAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      for (const port of [Number(httpUrl.port), Number(grpcAddress.split(':')[1])]) {
        expect(await canConnect('127.0.0.1', port)).toBe(true);
        // Bound to every interface, 127.0.0.2 (loopback too on Linux) would answer as well.
        expect(await canConnect('127.0.0.2', port)).toBe(false);
      }
    });
  });

  it('logged every refusal above at most as a warning', () => {
    const rejected = logs.find('request rejected');
    expect(rejected.length).toBeGreaterThan(20);
    expect(logs.lines().filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
  });
});
