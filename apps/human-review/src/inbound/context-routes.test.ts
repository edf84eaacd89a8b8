/**
 * The item context and lineage routes through the whole service on embedded adapters: scores and
 * policy decisions in from the bus, the lineage from an evaluation HTTP endpoint, read access
 * exactly as for the item itself, poison events dead-lettered.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewReason } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { DeadLetterHeader, type EventBus, EventPublisher, type IncomingMessage } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import type { RunningService } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHumanReviewConfig } from '../config.js';
import { policyDecided, scored } from '../context/context-fixtures.js';
import { startHumanReviewService } from '../service.js';

const ALICE = 'alice-key';
const LENA = 'lena-key';
const MALLORY = 'mallory-key';
const API_KEYS = `${ALICE}=acme::Alice,${LENA}=acme:legal:Lena,${MALLORY}=globex::Mallory`;

let bus: EventBus;
let store: DocumentStore;
let service: RunningService;
let unconfigured: RunningService;
let evaluation: Server;
let publisher: EventPublisher;
const deadLetters: IncomingMessage[] = [];

function requested(reviewId: string, overrides: Partial<ReviewRequested> = {}): ReviewRequested {
  return {
    reviewId,
    tenantId: 'acme',
    requestId: 'req-1',
    traceId: 'trace-1',
    reason: ReviewReason.REVIEW_REASON_LOW_SCORE,
    detail: 'groundedness 0.25 is below 0.7',
    question: 'How long can I return a robot?',
    answer: 'Robots can be returned for 90 days. Delivery is free.',
    citations: [],
    contexts: [],
    score: 0.25,
    requestedBy: 'evaluation',
    requestedAt: new Date(),
    readRequires: [],
    ...overrides,
  };
}

const get = (url: string, key: string) => fetch(url, { headers: { authorization: `Bearer ${key}` } });

async function json<T>(response: Response, status: number): Promise<T> {
  const body = (await response.json()) as T;
  expect(response.status, JSON.stringify(body)).toBe(status);
  return body;
}

beforeAll(async () => {
  evaluation = createServer((req, res) => {
    const known = req.url === '/v1/lineage/answers/req-1' && req.headers.authorization === 'Bearer acme-eval';
    res.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(known ? { requestId: 'req-1', reviews: [] } : { code: 'LINEAGE.NOT_FOUND' }));
  });
  await new Promise<void>((resolve) => evaluation.listen(0, '127.0.0.1', resolve));
  const evaluationUrl = `http://127.0.0.1:${(evaluation.address() as AddressInfo).port}`;

  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  const { logger } = createTestLogger('human-review');
  service = await startHumanReviewService(
    { bus, store, logger },
    loadHumanReviewConfig({
      HTTP_PORT: '0',
      KEEL_API_KEYS: API_KEYS,
      EVALUATION_URL: evaluationUrl,
      EVALUATION_API_KEYS: 'acme=acme-eval',
    }),
  );
  // A second instance on the same data, without evaluation configured.
  unconfigured = await startHumanReviewService(
    { bus: createEmbeddedEventBus(), store, logger },
    loadHumanReviewConfig({ HTTP_PORT: '0', KEEL_API_KEYS: API_KEYS }),
  );
  publisher = new EventPublisher(bus);
  await bus.subscribe({
    groupId: 'test-context-dlq',
    topics: ['keel.evaluation.scored.v1.dlq', 'keel.policy.decided.v1.dlq'],
    handler: async (message) => {
      deadLetters.push(message);
    },
  });
  await publisher.publish('keel.review.requested.v1', requested('rev-ctx'));
  await publisher.publish(
    'keel.review.requested.v1',
    requested('rev-legal', { requestId: 'req-legal', readRequires: [{ anyOf: ['legal'] }] }),
  );
  await waitFor('items queued', async () => (await get(`${service.urls.http}/v1/reviews/rev-legal`, LENA)).ok);
});

afterAll(async () => {
  await unconfigured?.stop();
  await service?.stop();
  await bus?.close();
  await store?.close();
  evaluation?.closeAllConnections();
  await new Promise((resolve) => evaluation?.close(resolve));
});

describe('GET /v1/reviews/:id/context', () => {
  it('has empty lists until the events arrive, then what evaluation and policy said', async () => {
    const url = `${service.urls.http}/v1/reviews/rev-ctx/context`;
    const empty = await json<Record<string, unknown>>(await get(url, ALICE), 200);
    expect(empty).toMatchObject({ scores: [], verdicts: [], findings: [], policyVersion: null });
    expect(empty.lineageUrl).toBe('/v1/reviews/rev-ctx/lineage');

    await publisher.publish('keel.evaluation.scored.v1', scored());
    await publisher.publish('keel.policy.decided.v1', policyDecided());
    const view = await waitFor('context arrived', async () => {
      const body = await json<{ scores: unknown[]; findings: unknown[] }>(await get(url, ALICE), 200);
      return body.scores.length > 0 && body.findings.length > 0 ? body : undefined;
    });
    expect(view).toMatchObject({
      scores: [{ name: 'groundedness', value: 0.25, threshold: 0.7 }, { name: 'latency_ms' }],
      verdicts: [{ supported: false }, { supported: true, citedChunkIds: ['shipping#0'] }],
      findings: [{ stage: 'output', type: 'pii.email', action: 'redact', rule: 'pii' }],
      policyVersion: 'acme@v3',
    });
  });

  it('answers 404 REVIEW.NOT_FOUND exactly like the item for another tenant, a restricted item and a missing id', async () => {
    for (const [id, key] of [
      ['rev-ctx', MALLORY],
      ['rev-legal', ALICE],
      ['no-such-review', ALICE],
    ] as const) {
      const problem = await json<{ code: string }>(
        await get(`${service.urls.http}/v1/reviews/${id}/context`, key),
        404,
      );
      expect(problem.code).toBe('REVIEW.NOT_FOUND');
      const lineage = await json<{ code: string }>(
        await get(`${service.urls.http}/v1/reviews/${id}/lineage`, key),
        404,
      );
      expect(lineage.code).toBe('REVIEW.NOT_FOUND');
    }
    await json(await get(`${service.urls.http}/v1/reviews/rev-legal/context`, LENA), 200);
    expect((await fetch(`${service.urls.http}/v1/reviews/rev-ctx/context`)).status).toBe(401);
  });

  it('names an over-long id in a 400', async () => {
    const problem = await json<{ errors: { field: string }[] }>(
      await get(`${service.urls.http}/v1/reviews/${'x'.repeat(300)}/context`, ALICE),
      400,
    );
    expect(problem.errors.map((error) => error.field)).toEqual(['id']);
  });

  it('dead-letters an over-limit evaluation and a decision without id at once, naming the field', async () => {
    await publisher.publish('keel.evaluation.scored.v1', scored({ requestId: 'req-big', traceId: 't'.repeat(200) }));
    await publisher.publish('keel.policy.decided.v1', policyDecided({ decisionId: '' }));
    const letters = await waitFor('dead letters', () => (deadLetters.length >= 2 ? deadLetters : undefined));
    expect(
      letters
        .map((letter) => [
          letter.headers[DeadLetterHeader.consumerGroup],
          letter.headers[DeadLetterHeader.attempts],
          letter.headers[DeadLetterHeader.error]?.includes(
            letter.headers[DeadLetterHeader.consumerGroup] === 'keel-human-review-scores' ? 'traceId' : 'decisionId',
          ),
        ])
        .sort(),
    ).toEqual([
      ['keel-human-review-findings', '1', true],
      ['keel-human-review-scores', '1', true],
    ]);
  });
});

describe('GET /v1/reviews/:id/lineage', () => {
  it("proxies evaluation's lineage of the item's request with the tenant's key", async () => {
    const lineage = await json<{ requestId: string }>(
      await get(`${service.urls.http}/v1/reviews/rev-ctx/lineage`, ALICE),
      200,
    );
    expect(lineage).toEqual({ requestId: 'req-1', reviews: [] });
  });

  it('answers 404 when evaluation has no lineage of the request', async () => {
    const problem = await json<{ code: string }>(
      await get(`${service.urls.http}/v1/reviews/rev-legal/lineage`, LENA),
      404,
    );
    expect(problem.code).toBe('LINEAGE.NOT_FOUND');
  });

  it('answers 503 LINEAGE.UNAVAILABLE when evaluation is not configured', async () => {
    const problem = await json<{ code: string; type: string }>(
      await get(`${unconfigured.urls.http}/v1/reviews/rev-ctx/lineage`, ALICE),
      503,
    );
    expect(problem.code).toBe('LINEAGE.UNAVAILABLE');
  });
});
