import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { isKeelError } from '@keel/platform';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AnswerEvaluation,
  type AnswerPolicyDecision,
  CONTEXT_RETENTION_MS,
  type ContextStore,
  EVALUATIONS_COLLECTION,
  evaluationsCollectionOptions,
  loadAnswerContext,
  POLICY_DECISIONS_COLLECTION,
  policyDecisionsCollectionOptions,
  recordEvaluation,
  recordPolicyDecision,
} from './answer-context.js';
import { policyDecided, scored } from './context-fixtures.js';
import { CONTEXT_LIMITS } from './context-limits.js';

let store: DocumentStore;
let context: ContextStore;
const clock = { now: Date.now() };

const reader = { aclGroups: [] as string[] };
const item = { id: 'rev-1', tenantId: 'acme', requestId: 'req-1' };

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return isKeelError(error) ? `${error.code}${error.retryable ? ' (retryable)' : ''}` : String(error);
}

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  context = {
    evaluations: await store.collection<AnswerEvaluation>(EVALUATIONS_COLLECTION, evaluationsCollectionOptions),
    policyDecisions: await store.collection<AnswerPolicyDecision>(
      POLICY_DECISIONS_COLLECTION,
      policyDecisionsCollectionOptions,
    ),
    now: () => clock.now,
  };
});

afterEach(async () => {
  await store.close();
});

describe('the context of an answer', () => {
  it('is empty until evaluation and policy have spoken, with the lineage link of the item', async () => {
    expect(await loadAnswerContext(context, reader, item)).toEqual({
      requestId: 'req-1',
      scores: [],
      verdicts: [],
      passed: null,
      evaluatorVersion: null,
      scoredAt: null,
      findings: [],
      decisions: [],
      policyVersion: null,
      lineageUrl: '/v1/reviews/rev-1/lineage',
    });
  });

  it('shows the scores, with the review threshold on groundedness, and the claim verdicts', async () => {
    await recordEvaluation(context, scored());
    const view = await loadAnswerContext(context, reader, item);
    expect(view.scores).toEqual([
      { name: 'groundedness', value: 0.25, threshold: 0.7, unit: '', explanation: '1 of 4 claims supported' },
      { name: 'latency_ms', value: 840, unit: 'ms', explanation: '' },
    ]);
    expect(view.verdicts).toEqual([
      { claim: 'Robots can be returned for 90 days.', supported: false, citedChunkIds: [], support: 0.1 },
      { claim: 'Delivery is free.', supported: true, citedChunkIds: ['shipping#0'], support: 0.9 },
    ]);
    expect(view).toMatchObject({ passed: false, evaluatorVersion: 'lexical-v2', scoredAt: '2026-01-02T03:04:05.000Z' });
  });

  it('lists the findings of every policy decision, input first, and the version that decided last', async () => {
    await recordPolicyDecision(context, policyDecided());
    await recordPolicyDecision(
      context,
      policyDecided({
        decisionId: 'dec-in',
        stage: 'input',
        decision: 'ESCALATE',
        findingTypes: ['topic.escalate', 'pii.person'],
        rulesFired: ['legal-topics', 'pii'],
        reason: 'the topic "litigation" is escalated for review',
        policyVersion: 'acme@v2',
        decidedAt: new Date('2026-01-02T03:04:03Z'),
      }),
    );
    const view = await loadAnswerContext(context, reader, item);
    expect(view.findings).toEqual([
      { stage: 'input', type: 'topic.escalate', start: null, end: null, action: 'escalate' },
      { stage: 'input', type: 'pii.person', start: null, end: null, action: 'escalate' },
      { stage: 'output', type: 'pii.email', start: null, end: null, action: 'redact', rule: 'pii' },
    ]);
    expect(view.decisions.map((decision) => [decision.stage, decision.decision, decision.policyVersion])).toEqual([
      ['input', 'ESCALATE', 'acme@v2'],
      ['output', 'REDACT', 'acme@v3'],
    ]);
    expect(view.policyVersion).toBe('acme@v3');
  });

  it('shows where each finding is when the decision carried spans, in the text or in a context', async () => {
    await recordPolicyDecision(
      context,
      policyDecided({
        findingTypes: ['pii.email'],
        findingSpans: {
          items: [
            { type: 'pii.email', start: 5, end: 20, ruleId: 'pii.email.dot-atom', action: 'redact' },
            { type: 'pii.email', start: 0, end: 15, ruleId: 'pii.email.dot-atom', context: 1, action: 'REDACT' },
          ],
        },
      }),
    );
    const view = await loadAnswerContext(context, reader, item);
    expect(view.findings).toEqual([
      {
        stage: 'output',
        type: 'pii.email',
        start: 5,
        end: 20,
        action: 'redact',
        rule: 'pii',
        detectorRule: 'pii.email.dot-atom',
      },
      {
        stage: 'output',
        type: 'pii.email',
        start: 0,
        end: 15,
        context: 1,
        action: 'redact',
        rule: 'pii',
        detectorRule: 'pii.email.dot-atom',
      },
    ]);
  });

  it('keeps one record per fact: a redelivery rewrites it', async () => {
    await recordEvaluation(context, scored());
    await recordEvaluation(context, scored());
    await recordPolicyDecision(context, policyDecided());
    await recordPolicyDecision(context, policyDecided());
    expect(await context.evaluations.count()).toBe(1);
    expect(await context.policyDecisions.count()).toBe(1);
    const view = await loadAnswerContext(context, reader, item);
    expect(view.scores).toHaveLength(2);
    expect(view.findings).toHaveLength(1);
  });

  it('never mixes tenants or requests', async () => {
    await recordEvaluation(context, scored({ tenantId: 'globex' }));
    await recordPolicyDecision(context, policyDecided({ tenantId: 'globex' }));
    await recordPolicyDecision(context, policyDecided({ decisionId: 'dec-other', requestId: 'req-2' }));
    const view = await loadAnswerContext(context, reader, item);
    expect(view.scores).toEqual([]);
    expect(view.findings).toEqual([]);
  });

  it('hides scores and verdicts from a reader who may not read what was scored', async () => {
    await recordEvaluation(context, scored({ readRequires: [{ anyOf: ['legal'] }] }));
    expect((await loadAnswerContext(context, { aclGroups: [] }, item)).verdicts).toEqual([]);
    expect((await loadAnswerContext(context, { aclGroups: ['legal'] }, item)).verdicts).toHaveLength(2);
  });

  it('passes over the decisions of document scans (no request id): they belong to no answer', async () => {
    expect(await recordPolicyDecision(context, policyDecided({ requestId: '', stage: 'document' }))).toBe(
      'not-an-answer',
    );
    expect(await context.policyDecisions.count()).toBe(0);
  });

  it('expires with the exchanges', async () => {
    const record = await recordEvaluation(context, scored());
    expect(record.expiresAt - record.storedAt).toBe(CONTEXT_RETENTION_MS);
    expect(CONTEXT_RETENTION_MS).toBe(7 * 24 * 60 * 60 * 1000);
  });

  it('shows nothing for an item without a request (a document escalation)', async () => {
    await recordEvaluation(context, scored({ requestId: 'req-1' }));
    const view = await loadAnswerContext(context, reader, { id: 'rev-doc', tenantId: 'acme', requestId: '' });
    expect(view.scores).toEqual([]);
  });

  it('rejects malformed and over-limit events non-retryably, naming the field, and stores nothing', async () => {
    expect(await codeOf(recordEvaluation(context, scored({ requestId: '' })))).toBe('REQUEST.INVALID');
    const tooMany = Array.from({ length: CONTEXT_LIMITS.verdicts + 1 }, () => ({
      claim: 'x',
      supported: true,
      supportingChunkId: '',
      support: 1,
    }));
    const error = await recordEvaluation(context, scored({ verdicts: tooMany })).catch((caught: unknown) => caught);
    expect(isKeelError(error) && !error.retryable && error.violations.map((v) => v.field)).toEqual(['verdicts']);
    expect(await codeOf(recordEvaluation(context, scored({ threshold: Number.NaN })))).toBe('REQUEST.INVALID');
    const longType = 'x'.repeat(CONTEXT_LIMITS.findingTypeChars + 1);
    const typeError = await recordPolicyDecision(context, policyDecided({ findingTypes: [longType] })).catch(
      (caught: unknown) => caught,
    );
    expect(isKeelError(typeError) && typeError.violations.map((v) => v.field)).toEqual(['findingTypes[0]']);
    expect(await codeOf(recordPolicyDecision(context, policyDecided({ decisionId: '' })))).toBe('REQUEST.INVALID');
    expect(await context.evaluations.count()).toBe(0);
    expect(await context.policyDecisions.count()).toBe(0);
  });
});
