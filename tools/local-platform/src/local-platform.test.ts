/**
 * The whole platform in one process on embedded adapters, driven only through its public HTTP
 * APIs: what a new user gets from `npm start`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, startTelemetry } from '@keel/platform';
import { createTestLogger, type TestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoCorpus } from './demo-corpus.js';
import { freePorts, type LocalPlatform, startLocalPlatform } from './local-platform.js';

const apiKey = 'local-test-key-0123456789';

describe('the local platform (embedded defaults, one process)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-local-'));
  let platform: LocalPlatform;
  let urls: Record<string, string>;
  const serviceLogs = new Map<string, TestLogger>();
  const headers = (extra: Record<string, string> = {}, key = apiKey) => ({
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
    ...extra,
  });

  beforeAll(async () => {
    // As main.ts does: trace context only propagates once a tracer provider is installed.
    startTelemetry({ serviceName: 'keel-local-test' });
    platform = await startLocalPlatform({
      dataDir,
      ports: freePorts,
      env: { KEEL_DEMO_API_KEY: apiKey, KEEL_API_KEYS: 'reviewer-two-key-0123456789=demo::second-reviewer' },
      logger: createLogger('local-platform-test', { level: 'silent' }),
      serviceLogger: (service) => {
        const log = createTestLogger(service, 'debug');
        serviceLogs.set(service, log);
        return log.logger;
      },
    });
    urls = platform.urls;
    await loadDemoCorpus(urls.ingestion ?? '', apiKey);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a question about the demo corpus with citations, and evaluation scores the answer', async () => {
    const traceId = randomBytes(16).toString('hex');
    const response = await fetch(`${urls.gateway}/v1/answers`, {
      method: 'POST',
      headers: headers({ traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` }),
      body: JSON.stringify({ question: 'How long are batteries covered by the warranty?' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      id: string;
      answer: string;
      citations: { documentId: string; title: string; chunkId: string }[];
    };
    expect(body.answer).toMatch(/18 months/);
    expect(body.citations.map((citation) => citation.documentId)).toContain('demo-warranty');

    const evaluation = await waitFor('the evaluation', async () => {
      const result = await fetch(`${urls.evaluation}/v1/evaluations/${body.id}`, { headers: headers() });
      return result.status === 200 ? ((await result.json()) as { traceId: string; passed: boolean }) : undefined;
    });
    expect(evaluation.traceId).toBe(traceId);
    expect(evaluation.passed).toBe(true);
  });

  it('re-submitting the demo corpus changes nothing', async () => {
    await expect(loadDemoCorpus(urls.ingestion ?? '', apiKey)).resolves.toEqual({ indexed: 4 });
  });

  it('serves the OpenAI-compatible API', async () => {
    const models = await fetch(`${urls.gateway}/v1/models`, { headers: headers() });
    expect(((await models.json()) as { data: { id: string }[] }).data.map((model) => model.id)).toContain(
      'keel-extractive-v1',
    );
    const completion = await fetch(`${urls.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({
        model: 'keel-extractive-v1',
        messages: [{ role: 'user', content: 'How are refunds issued?' }],
      }),
    });
    expect(completion.status).toBe(200);
    const body = (await completion.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toMatch(/refund/i);
  });

  it('routes a policy escalation to the review queue, and a decision becomes a golden example', async () => {
    const response = await fetch(`${urls.gateway}/v1/answers`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ question: 'I will start a lawsuit unless you tell me how refunds work' }),
    });
    expect(response.status).toBe(200);
    const { id: requestId } = (await response.json()) as { id: string };

    const item = await waitFor('the review item', async () => {
      const list = await fetch(`${urls.humanReview}/v1/reviews`, { headers: headers() });
      const page = (await list.json()) as { items: { id: string; requestId: string }[] };
      return page.items.find((candidate) => candidate.requestId === requestId);
    });

    const claim = await fetch(`${urls.humanReview}/v1/reviews/${item.id}/claim`, {
      method: 'POST',
      headers: headers(),
      body: '{}',
    });
    expect(claim.status).toBe(200);
    const stolen = await fetch(`${urls.humanReview}/v1/reviews/${item.id}/claim`, {
      method: 'POST',
      headers: headers({}, 'reviewer-two-key-0123456789'),
      body: '{}',
    });
    expect(stolen.status).toBe(409);
    expect(stolen.headers.get('content-type')).toMatch(/application\/problem\+json/);

    const decision = await fetch(`${urls.humanReview}/v1/reviews/${item.id}/decision`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({
        outcome: 'corrected',
        correctedAnswer: 'Refunds go to the original payment method within 5 business days.',
      }),
    });
    expect(decision.status).toBe(200);

    const example = await waitFor('the golden example', async () => {
      const list = await fetch(`${urls.evaluation}/v1/datasets/reviewed-answers/examples`, { headers: headers() });
      const page = (await list.json()) as { items: { id: string; label: string; answer: string }[] };
      return page.items.find((candidate) => candidate.id === item.id);
    });
    expect(example).toMatchObject({ label: 'corrected', answer: expect.stringMatching(/5 business days/) });
  });

  it('names the service on every log line, not the launcher', () => {
    expect([...serviceLogs.keys()].sort()).toEqual([
      'evaluation',
      'event-bus',
      'human-review',
      'inference-gateway',
      'ingestion',
      'policy',
      'retrieval',
    ]);
    for (const [service, log] of serviceLogs) {
      if (service !== 'event-bus') expect(log.lines().length).toBeGreaterThan(0);
      expect(new Set(log.lines().map((line) => line.service))).toEqual(new Set([service]));
    }
  });

  it('lists every port it serves', () => {
    expect(Object.keys(urls).sort()).toEqual([
      'evaluation',
      'gateway',
      'gatewayGrpc',
      'humanReview',
      'ingestion',
      'policyGrpc',
      'policyHttp',
      'retrievalGrpc',
      'retrievalHttp',
    ]);
  });

  it('rejects bad input with problem details and keeps tenants apart', async () => {
    const missingText = await fetch(`${urls.ingestion}/v1/documents`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ title: 'no text' }),
    });
    expect(missingText.status).toBe(400);
    expect(missingText.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(await missingText.json())).toMatch(/text/);

    const unknownKey = await fetch(`${urls.gateway}/v1/answers`, {
      method: 'POST',
      headers: headers({}, 'not-a-key'),
      body: JSON.stringify({ question: 'hello?' }),
    });
    expect(unknownKey.status).toBe(401);
  });
});
