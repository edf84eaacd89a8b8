/**
 * Lineage and retraining data end to end on embedded adapters: events published on the bus in any
 * order, read back over HTTP as one lineage view and as a fine-tuning JSONL export, with the
 * tenant and ACL rules of every other read, and poison events dead-lettered.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvaluationScored } from '@keel/contracts/events/v1/evaluation';
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { PolicyDecided } from '@keel/contracts/events/v1/policy';
import type { ReviewDecided } from '@keel/contracts/events/v1/review';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { DeadLetterHeader, type EventBus, EventPublisher, type IncomingMessage } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import type { RunningService } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExportTrainingData } from '../cli/export-training-data.js';
import { loadEvaluationConfig } from '../config.js';
import type { ChatTrainingLine } from '../datasets/training-export.js';
import { startEvaluationService } from '../service.js';

const ACME_KEY = 'acme-lineage-key';
const SUPPORT_KEY = 'acme-support-key';
const GLOBEX_KEY = 'globex-lineage-key';
const TRACE = '1'.repeat(32);

const GROUNDED = 'Customers can return any robot within 30 days of delivery. [1]';

function completed(requestId: string, overrides: Partial<InferenceCompleted> = {}): InferenceCompleted {
  return {
    requestId,
    traceId: TRACE,
    tenantId: 'acme',
    endpoint: '/v1/answers',
    model: 'gpt-4o-mini',
    provider: 'openai',
    usage: { promptTokens: 100, completionTokens: 20, totalTokens: 120, costUsd: 0.002 },
    latencyMs: 500,
    question: 'How long can I return a robot?',
    answer: GROUNDED,
    contexts: [
      {
        chunkId: 'returns#0',
        documentId: 'returns',
        documentVersion: 'v2',
        text: 'Customers can return any robot within 30 days of delivery.',
        score: 0.9,
        aclGroups: [],
      },
    ],
    citations: [
      {
        documentId: 'returns',
        documentVersion: 'v2',
        chunkId: 'returns#0',
        title: 'Returns',
        source: 'returns.md',
        startOffset: 0,
        endOffset: 58,
        score: 0.9,
        quote: 'Customers can return any robot within 30 days of delivery.',
        marker: 1,
      },
    ],
    policy: [{ stage: 'input', decision: 'ALLOW', decisionId: `${requestId}-in`, findingTypes: [] }],
    completedAt: new Date(Date.now() - 5_000),
    readRequires: [],
    subject: 'app',
    cost: 0.002,
    currency: 'USD',
    ...overrides,
  };
}

function policyDecided(requestId: string, overrides: Partial<PolicyDecided> = {}): PolicyDecided {
  return {
    decisionId: `${requestId}-in`,
    tenantId: 'acme',
    requestId,
    stage: 'input',
    decision: 'ALLOW',
    findingTypes: [],
    reason: '',
    policyVersion: 'acme@v7',
    decidedAt: new Date(Date.now() - 6_000),
    rulesFired: ['no-secrets'],
    findingCount: 0,
    decidedBy: 'policy',
    ...overrides,
  };
}

function decision(reviewId: string, overrides: Partial<ReviewDecided> = {}): ReviewDecided {
  return {
    reviewId,
    tenantId: 'acme',
    requestId: `req-${reviewId}`,
    traceId: TRACE,
    outcome: ReviewOutcome.REVIEW_OUTCOME_APPROVED,
    question: 'How long can I return a robot?',
    originalAnswer: GROUNDED,
    correctedAnswer: '',
    reviewer: 'alice',
    comment: '',
    decidedAt: new Date(),
    readRequires: [],
    missing: [],
    citations: [],
    contexts: [
      {
        chunkId: 'returns#0',
        documentId: 'returns',
        documentVersion: 'v2',
        text: 'Customers can return any robot within 30 days of delivery.',
        score: 0.9,
        aclGroups: [],
      },
    ],
    ...overrides,
  };
}

let bus: EventBus;
let store: DocumentStore;
let service: RunningService;
let publisher: EventPublisher;
let baseUrl: string;
const deadLetters: IncomingMessage[] = [];

function api(path: string, key: string | null = ACME_KEY): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
}

async function lineageOf(requestId: string, until: (view: Record<string, unknown>) => boolean, key = ACME_KEY) {
  return waitFor(`lineage of ${requestId}`, async () => {
    const response = await api(`/v1/lineage/answers/${encodeURIComponent(requestId)}`, key);
    if (response.status !== 200) return undefined;
    const view = (await response.json()) as Record<string, unknown>;
    return until(view) ? view : undefined;
  });
}

async function exportLines(query = '', key = ACME_KEY): Promise<ChatTrainingLine[]> {
  const response = await api(`/v1/datasets/reviewed-answers/training-data${query}`, key);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/x-ndjson');
  const body = await response.text();
  return body
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as ChatTrainingLine);
}

beforeAll(async () => {
  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  const config = loadEvaluationConfig({
    HTTP_PORT: '0',
    HOST: '127.0.0.1',
    KEEL_API_KEYS: `${ACME_KEY}=acme,${SUPPORT_KEY}=acme:support:agent,${GLOBEX_KEY}=globex`,
  });
  service = await startEvaluationService({ bus, store, logger: createTestLogger('evaluation').logger }, config);
  baseUrl = service.urls.http ?? '';
  publisher = new EventPublisher(bus);
  await bus.subscribe({
    groupId: 'test-lineage-dead-letters',
    topics: ['keel.policy.decided.v1.dlq', 'keel.evaluation.scored.v1.dlq'],
    handler: async (message) => {
      deadLetters.push(message);
    },
  });
});

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await store?.close();
});

describe('GET /v1/lineage/answers/:requestId', () => {
  it('assembles one view from events published out of order', async () => {
    // The review and a score come first, then the completion, the input decision last.
    await publisher.publish('keel.review.decided.v1', decision('rev-l1', { requestId: 'req-l1' }));
    const scored: EvaluationScored = {
      requestId: 'req-l1',
      tenantId: 'acme',
      traceId: TRACE,
      scores: [{ metric: 'groundedness', value: 1, explanation: 'all claims supported' }],
      verdicts: [],
      threshold: 0.7,
      passed: true,
      evaluatorVersion: 'lexical-groundedness/2',
      scoredAt: new Date(Date.now() - 4_000),
      readRequires: [],
    };
    await publisher.publish('keel.evaluation.scored.v1', scored);
    await publisher.publish('keel.inference.completed.v1', completed('req-l1'));
    await publisher.publish('keel.policy.decided.v1', policyDecided('req-l1'));

    const view = await lineageOf(
      'req-l1',
      (v) =>
        (v.received as { completion: boolean; policyDecisions: boolean; evaluation: boolean; reviews: number })
          .policyDecisions && (v.received as { completion: boolean }).completion,
    );
    expect(view).toMatchObject({
      requestId: 'req-l1',
      question: 'How long can I return a robot?',
      answer: GROUNDED,
      model: 'gpt-4o-mini',
      provider: 'openai',
      usage: { promptTokens: 100, completionTokens: 20, totalTokens: 120 },
      cost: { amount: 0.002, currency: 'USD' },
      citations: [{ documentId: 'returns', documentVersion: 'v2', source: 'returns.md', chunkId: 'returns#0' }],
      policyDecisions: [{ stage: 'input', decision: 'ALLOW', policyVersion: 'acme@v7', rulesFired: ['no-secrets'] }],
      evaluation: { passed: true, evaluatorVersion: 'lexical-groundedness/2' },
      reviews: [{ reviewId: 'rev-l1', outcome: 'approved', reviewer: 'alice', traceId: TRACE }],
    });
    const timeline = view.timeline as { kind: string; at: string; traceId: string | null }[];
    expect(timeline.map((item) => item.kind)).toEqual(['policy', 'completion', 'evaluation', 'review']);
    // The decision's trace came from the envelope: the publisher's (none here) or empty, never made up.
    expect(timeline.find((item) => item.kind === 'completion')?.traceId).toBe(TRACE);
  });

  it('answers 404 to a caller without the groups and to another tenant, like an unknown request', async () => {
    await publisher.publish(
      'keel.inference.completed.v1',
      completed('req-l2', {
        contexts: [
          {
            chunkId: 'playbook#0',
            documentId: 'playbook',
            documentVersion: 'v1',
            text: 'Escalate refunds above 500 dollars to a lead.',
            score: 0.8,
            aclGroups: ['support'],
          },
        ],
      }),
    );
    await lineageOf('req-l2', () => true, SUPPORT_KEY);
    expect((await api('/v1/lineage/answers/req-l2', ACME_KEY)).status).toBe(404);
    expect((await api('/v1/lineage/answers/req-l2', GLOBEX_KEY)).status).toBe(404);
    expect((await api('/v1/lineage/answers/req-nothing', SUPPORT_KEY)).status).toBe(404);
    expect((await api('/v1/lineage/answers/req-l2', null)).status).toBe(401);
    expect((await api(`/v1/lineage/answers/${'r'.repeat(513)}`)).status).toBe(400);
  });

  it('counts a redelivered decision once', async () => {
    await publisher.publish('keel.inference.completed.v1', completed('req-l3'));
    await publisher.publish('keel.policy.decided.v1', policyDecided('req-l3'));
    await publisher.publish('keel.policy.decided.v1', policyDecided('req-l3'));
    await publisher.publish('keel.review.decided.v1', decision('rev-l3', { requestId: 'req-l3' }));
    await publisher.publish('keel.review.decided.v1', decision('rev-l3', { requestId: 'req-l3' }));
    // A marker published after the copies: once it is in, the copies have been handled.
    await publisher.publish(
      'keel.policy.decided.v1',
      policyDecided('req-l3', { decisionId: 'req-l3-out', stage: 'output' }),
    );
    const view = await lineageOf(
      'req-l3',
      (v) => (v.policyDecisions as unknown[]).length >= 2 && (v.reviews as unknown[]).length >= 1,
    );
    expect((view.policyDecisions as { decisionId: string }[]).map((d) => d.decisionId)).toEqual([
      'req-l3-in',
      'req-l3-out',
    ]);
    expect(view.reviews).toHaveLength(1);
  });

  it('dead-letters a malformed decision at once, and passes over a document scan without dead-lettering it', async () => {
    // A document scan (ingestion) decides without a request id: not an answer's lineage, not poison.
    await publisher.publish('keel.policy.decided.v1', policyDecided('', { decisionId: 'dec-scan', stage: 'document' }));
    await publisher.publish(
      'keel.policy.decided.v1',
      policyDecided('req-poison', { rulesFired: Array.from({ length: 300 }, (_, index) => `rule-${index}`) }),
    );
    const letter = await waitFor('the dead letter', () =>
      deadLetters.find((message) => message.headers[DeadLetterHeader.originalTopic] === 'keel.policy.decided.v1'),
    );
    expect(letter.headers[DeadLetterHeader.attempts]).toBe('1');
    expect(letter.headers[DeadLetterHeader.error]).toContain('rulesFired');
    expect(
      deadLetters.filter((message) => message.headers[DeadLetterHeader.originalTopic] === 'keel.policy.decided.v1'),
    ).toHaveLength(1);
    expect((await api('/v1/lineage/answers/req-poison')).status).toBe(404);
  });
});

describe('GET /v1/datasets/:datasetId/training-data', () => {
  it('exports approved and corrected answers as chat fine-tuning JSONL with provenance, rejected ones apart', async () => {
    await publisher.publish('keel.inference.completed.v1', completed('req-t-corrected'));
    await publisher.publish('keel.policy.decided.v1', policyDecided('req-t-corrected'));
    await lineageOf('req-t-corrected', (v) => (v.received as { policyDecisions: boolean }).policyDecisions);

    await publisher.publish('keel.review.decided.v1', decision('t-approved'));
    await publisher.publish(
      'keel.review.decided.v1',
      decision('t-corrected', {
        requestId: 'req-t-corrected',
        outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
        correctedAnswer: 'Within 30 days of delivery, unused. [1]',
        reviewer: 'bob',
      }),
    );
    await publisher.publish(
      'keel.review.decided.v1',
      decision('t-rejected', { outcome: ReviewOutcome.REVIEW_OUTCOME_REJECTED, originalAnswer: 'Forever.' }),
    );
    // Restricted, incomplete, and another tenant's: never in acme's open export.
    await publisher.publish(
      'keel.review.decided.v1',
      decision('t-restricted', { readRequires: [{ anyOf: ['support'] }] }),
    );
    await publisher.publish(
      'keel.review.decided.v1',
      decision('t-incomplete', { originalAnswer: '', missing: ['answer'] }),
    );
    await publisher.publish('keel.review.decided.v1', decision('t-globex', { tenantId: 'globex' }));

    const positives = await waitFor('the positives', async () => {
      const lines = await exportLines('', SUPPORT_KEY);
      const ids = lines.map((line) => line.metadata.reviewId);
      return ids.includes('t-restricted') && ids.includes('t-corrected') && ids.includes('t-approved')
        ? lines
        : undefined;
    });
    const byId = new Map(positives.map((line) => [line.metadata.reviewId, line]));
    const corrected = byId.get('t-corrected');
    expect(corrected?.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant']);
    expect(corrected?.messages[0]?.content).toContain('[1] Customers can return any robot within 30 days of delivery.');
    expect(corrected?.messages[1]?.content).toBe('How long can I return a robot?');
    expect(corrected?.messages[2]?.content).toBe('Within 30 days of delivery, unused. [1]');
    expect(corrected?.metadata).toMatchObject({
      label: 'corrected',
      reviewer: 'bob',
      requestId: 'req-t-corrected',
      originalAnswer: GROUNDED,
      model: 'gpt-4o-mini',
      provider: 'openai',
      policyVersions: [{ stage: 'input', decision: 'ALLOW', policyVersion: 'acme@v7' }],
      sources: [{ marker: 1, documentId: 'returns', documentVersion: 'v2', chunkId: 'returns#0' }],
    });
    expect(byId.get('t-approved')?.messages[2]?.content).toBe(GROUNDED);
    expect(byId.get('t-approved')?.metadata).toMatchObject({ label: 'approved', originalAnswer: null, model: null });
    expect(byId.has('t-rejected')).toBe(false);
    expect(byId.has('t-incomplete')).toBe(false);

    // A key outside `support` does not get the restricted example; another tenant gets only its own.
    const open = (await exportLines('')).map((line) => line.metadata.reviewId);
    expect(open).toContain('t-approved');
    expect(open).not.toContain('t-restricted');
    expect((await exportLines('', GLOBEX_KEY)).map((line) => line.metadata.reviewId)).toEqual(['t-globex']);

    const negatives = await exportLines('?kind=negatives');
    expect(negatives.map((line) => [line.metadata.reviewId, line.metadata.label, line.messages[2]?.content])).toEqual([
      ['t-rejected', 'rejected', 'Forever.'],
    ]);
  });

  it('rejects an unknown kind with the field named, and streams an empty export for an unknown dataset', async () => {
    const bad = await api('/v1/datasets/reviewed-answers/training-data?kind=all');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('kind');
    const empty = await api('/v1/datasets/nothing-here/training-data');
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
  });
});

describe('export-training-data CLI', () => {
  it('downloads the export into a file, and fails without leaving a partial file behind', async () => {
    await publisher.publish('keel.review.decided.v1', decision('cli-1'));
    await waitFor('the example', async () =>
      (await exportLines('')).some((line) => line.metadata.reviewId === 'cli-1') ? true : undefined,
    );
    const directory = await mkdtemp(join(tmpdir(), 'keel-export-'));
    try {
      const errors: string[] = [];
      const io = (key: string | undefined) => ({
        stdout: process.stdout,
        stderr: (text: string) => errors.push(text),
        env: key ? { KEEL_API_KEY: key } : {},
      });
      const out = join(directory, 'train.jsonl');
      expect(await runExportTrainingData(['reviewed-answers', '--url', baseUrl, '--out', out], io(ACME_KEY))).toBe(0);
      const lines = (await readFile(out, 'utf8')).split('\n').filter((line) => line.length > 0);
      expect(lines.map((line) => (JSON.parse(line) as ChatTrainingLine).metadata.reviewId)).toContain('cli-1');
      expect(errors.at(-1)).toContain(`${lines.length} positives of reviewed-answers`);

      const refused = join(directory, 'refused.jsonl');
      expect(
        await runExportTrainingData(['reviewed-answers', '--url', baseUrl, '--out', refused], io('not-a-key')),
      ).toBe(1);
      expect(errors.at(-1)).toContain('401');
      await expect(stat(refused)).rejects.toThrow();
      await expect(stat(`${refused}.partial`)).rejects.toThrow();
      expect(await runExportTrainingData(['reviewed-answers', '--url', baseUrl], io(undefined))).toBe(2);
      expect(await runExportTrainingData(['reviewed-answers', '--kind', 'all'], io(ACME_KEY))).toBe(2);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
