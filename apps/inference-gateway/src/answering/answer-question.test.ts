import type { ChatModel } from '@keel/models';
import { createExtractiveChatModel } from '@keel/models/embedded';
import { createLogger, KeelError } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import type { AnswerRequest } from './answer.js';
import { blockedAnswerText } from './answer-errors.js';
import { createAnswerQuestion } from './answer-question.js';
import type { InferenceCompletedPayload } from './completion-event.js';
import type { PolicyCheck, PolicyGate, PolicyStage, PolicyVerdict } from './policy-gate.js';
import type { RetrievalQuery, RetrievedPassage, Retriever } from './retriever.js';

const logger = createLogger('answer-question-test', { level: 'silent' });

const passages: RetrievedPassage[] = [
  {
    chunkId: 'returns#0',
    documentId: 'returns',
    documentVersion: 'v2',
    title: 'Returns policy',
    source: 'kb://returns.md',
    text: 'Items can be returned within 30 days of delivery. Refunds are paid to the original card.',
    startOffset: 0,
    endOffset: 89,
    score: 0.9,
    aclGroups: ['sales', 'support'],
  },
  {
    chunkId: 'warranty#3',
    documentId: 'warranty',
    documentVersion: 'v1',
    title: 'Warranty',
    source: 'kb://warranty.md',
    text: 'The warranty covers manufacturing defects for two years.',
    startOffset: 400,
    endOffset: 456,
    score: 0.5,
    aclGroups: [],
  },
];

type Verdicts = Partial<Record<PolicyStage, (check: PolicyCheck) => Partial<PolicyVerdict>>>;

function harness(verdicts: Verdicts = {}, model: ChatModel = createExtractiveChatModel()) {
  const checks: PolicyCheck[] = [];
  const searches: RetrievalQuery[] = [];
  const events: InferenceCompletedPayload[] = [];
  const policy: PolicyGate = {
    async check(check) {
      checks.push(check);
      const override = verdicts[check.stage]?.(check) ?? {};
      return {
        decision: 'ALLOW',
        text: check.text,
        reason: '',
        decisionId: `decision-${check.stage}`,
        policyVersion: 'acme@v1',
        findingTypes: [],
        ...override,
      };
    },
  };
  const retriever: Retriever = {
    async search(query) {
      searches.push(query);
      return passages;
    },
  };
  const answerQuestion = createAnswerQuestion({
    policy,
    retriever,
    callModel: (chatModel, request) => chatModel.complete(request),
    events: {
      async publish(topic, payload) {
        if (topic === 'keel.inference.completed.v1') events.push(payload as InferenceCompletedPayload);
      },
    },
    logger,
    now: () => new Date('2025-01-02T03:04:05Z'),
  });
  const request: AnswerRequest = {
    requestId: 'req-1',
    endpoint: '/v1/answers',
    tenantId: 'acme',
    subject: 'alice',
    aclGroups: ['staff'],
    question: 'How many days do I have to return items?',
    topK: 4,
    filters: { lang: 'en' },
    model,
  };
  return { answerQuestion, request, checks, searches, events };
}

describe('answer question', () => {
  it('answers from retrieved passages, cites only what it quotes, and records the completion', async () => {
    const { answerQuestion, request, checks, searches, events } = harness();
    const answer = await answerQuestion(request);

    expect(answer.answer).toBe('Items can be returned within 30 days of delivery. [1]');
    expect(answer.citations).toEqual([
      {
        marker: 1,
        documentId: 'returns',
        documentVersion: 'v2',
        title: 'Returns policy',
        source: 'kb://returns.md',
        chunkId: 'returns#0',
        startOffset: 0,
        endOffset: 89,
        score: 0.9,
        quote: 'Items can be returned within 30 days of delivery.',
      },
    ]);
    expect(answer).toMatchObject({
      id: 'req-1',
      model: 'keel-extractive-v1',
      provider: 'embedded',
      finishReason: 'stop',
    });
    expect(answer.usage.totalTokens).toBe(answer.usage.promptTokens + answer.usage.completionTokens);
    expect(answer.flagged).toBe(false);

    expect(searches).toEqual([
      { tenantId: 'acme', query: request.question, topK: 4, aclGroups: ['staff'], filters: { lang: 'en' } },
    ]);
    expect(checks.map((c) => [c.stage, c.requestId, c.contexts.length])).toEqual([
      ['input', 'req-1', 0],
      // The passages, before the model saw them.
      ['document', 'req-1', 2],
      ['output', 'req-1', 2],
    ]);
    expect(checks[2]?.text).toBe(answer.answer);

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      requestId: 'req-1',
      tenantId: 'acme',
      endpoint: '/v1/answers',
      model: 'keel-extractive-v1',
      provider: 'embedded',
      question: request.question,
      answer: answer.answer,
      completedAt: new Date('2025-01-02T03:04:05Z'),
      policy: [
        { stage: 'input', decision: 'ALLOW', decisionId: 'decision-input', findingTypes: [] },
        { stage: 'output', decision: 'ALLOW', decisionId: 'decision-output', findingTypes: [] },
        { stage: 'document', decision: 'ALLOW', decisionId: 'decision-document', findingTypes: [] },
      ],
    });
    expect(events[0]?.contexts.map((c) => [c.chunkId, c.text])).toEqual(passages.map((p) => [p.chunkId, p.text]));
    expect(events[0]?.citations).toHaveLength(1);
    // Evaluation reads the markers to tell which claim cites which context.
    expect(events[0]?.citations[0]?.marker).toBe(1);
  });

  it('keeps the read requirements of the passages on the output check and the completion event', async () => {
    const { answerQuestion, request, checks, events } = harness();
    await answerQuestion(request);
    // One requirement per restricted passage; the open one adds nothing.
    const readRequires = [{ anyOf: ['sales', 'support'] }];
    expect(checks.map((check) => [check.stage, check.readRequires])).toEqual([
      ['input', []],
      ['document', []],
      ['output', readRequires],
    ]);
    expect(events[0]?.readRequires).toEqual(readRequires);
    expect(events[0]?.contexts.map((context) => context.aclGroups)).toEqual([['sales', 'support'], []]);
    expect(events[0]?.subject).toBe('alice');
  });

  it.each([
    ['blank', '   '],
    ['made of invisible characters', '\u200b\u200c\u2060\ufeff\u202e'],
    ['too long', 'why? '.repeat(1000)],
  ])('refuses a question %s before policy, retrieval or the model is asked', async (_case, question) => {
    const { answerQuestion, request, checks, searches, events } = harness();
    const error = await answerQuestion({ ...request, question }).catch((e: unknown) => e);
    expect(error).toMatchObject({ httpStatus: 400, violations: [{ field: 'question' }] });
    expect(checks).toEqual([]);
    expect(searches).toEqual([]);
    expect(events).toEqual([]);
  });

  it('continues with the redacted question', async () => {
    const { answerQuestion, request, searches, events } = harness({
      input: () => ({
        decision: 'REDACT',
        text: 'I am [EMAIL]. How many days do I have to return items?',
        findingTypes: ['pii.email'],
      }),
    });
    const answer = await answerQuestion({
      ...request,
      question: 'I am ann@example.com. How many days do I have to return items?',
    });
    expect(searches[0]?.query).toBe('I am [EMAIL]. How many days do I have to return items?');
    expect(answer.policy.input).toMatchObject({ decision: 'REDACT', findingTypes: ['pii.email'] });
    expect(events[0]?.question).toBe('I am [EMAIL]. How many days do I have to return items?');
  });

  it('refuses a blocked question with 422 POLICY.BLOCKED, without retrieval or a completion event', async () => {
    const { answerQuestion, request, searches, events } = harness({
      input: () => ({ decision: 'BLOCK', text: '', reason: 'denied topic "weapons"' }),
    });
    const error = await answerQuestion(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({
      code: 'POLICY.BLOCKED',
      httpStatus: 422,
      message: 'the question was blocked by policy: denied topic "weapons"',
    });
    expect(searches).toEqual([]);
    expect(events).toEqual([]);
  });

  it('serves the redacted answer, citing sources without quotes', async () => {
    const { answerQuestion, request } = harness({
      output: (check) => ({ decision: 'REDACT', text: check.text.replace('30 days', '[REDACTED]') }),
    });
    const answer = await answerQuestion(request);
    expect(answer.answer).toBe('Items can be returned within [REDACTED] of delivery. [1]');
    expect(answer.citations.map((c) => [c.chunkId, c.quote])).toEqual([['returns#0', '']]);
  });

  it('replaces a blocked answer with a refusal and cites nothing', async () => {
    const { answerQuestion, request, events } = harness({ output: () => ({ decision: 'BLOCK', text: '' }) });
    const answer = await answerQuestion(request);
    expect(answer).toMatchObject({ answer: blockedAnswerText, citations: [], finishReason: 'content_filter' });
    expect(events[0]).toMatchObject({ answer: blockedAnswerText, citations: [] });
    expect(events[0]?.policy[1]).toMatchObject({ stage: 'output', decision: 'BLOCK' });
  });

  it('serves an escalated answer, flagged', async () => {
    const { answerQuestion, request } = harness({ output: () => ({ decision: 'ESCALATE' }) });
    const answer = await answerQuestion(request);
    expect(answer.flagged).toBe(true);
    expect(answer.answer).toBe('Items can be returned within 30 days of delivery. [1]');
    // Policy left the text as it was: the quote stays.
    expect(answer.citations[0]?.quote).toBe('Items can be returned within 30 days of delivery.');
  });

  it('ignores a cited marker no context stands behind', async () => {
    const inventive: ChatModel = {
      descriptor: { id: 'inventive', provider: 'test', ownedBy: 'test' },
      async complete() {
        return {
          content: 'Two years [2], or maybe [7].',
          citedMarkers: [2, 7],
          usage: { promptTokens: 10, completionTokens: 5 },
          finishReason: 'stop',
        };
      },
    };
    const { answerQuestion, request } = harness({}, inventive);
    const answer = await answerQuestion({ ...request, model: inventive });
    expect(answer.citations.map((c) => [c.marker, c.chunkId, c.quote])).toEqual([[2, 'warranty#3', '']]);
  });

  it('still answers when the completion event cannot be published', async () => {
    const allow: PolicyGate = {
      async check(check) {
        return {
          decision: 'ALLOW',
          text: check.text,
          reason: '',
          decisionId: 'd',
          policyVersion: 'v',
          findingTypes: [],
        };
      },
    };
    const answerQuestion = createAnswerQuestion({
      policy: allow,
      retriever: { search: async () => passages },
      callModel: (model, request) => model.complete(request),
      events: {
        async publish() {
          throw new Error('broker down');
        },
      },
      logger,
    });
    await expect(answerQuestion(harness().request)).resolves.toMatchObject({
      id: 'req-1',
      answer: 'Items can be returned within 30 days of delivery. [1]',
    });
  });
});
