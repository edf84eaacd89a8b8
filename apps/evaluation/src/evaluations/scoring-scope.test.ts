import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { describe, expect, it } from 'vitest';
import { notScoredBecause } from './scoring-scope.js';

const completed = (overrides: Partial<InferenceCompleted>): InferenceCompleted =>
  ({
    requestId: 'r1',
    tenantId: 'acme',
    endpoint: '/v1/answers',
    provider: 'embedded',
    answer: 'Batteries are covered for 18 months [1].',
    contexts: [
      {
        chunkId: 'c1',
        documentId: 'd1',
        documentVersion: 'v1',
        text: 'covered for 18 months',
        score: 1,
        aclGroups: [],
      },
    ],
    ...overrides,
  }) as InferenceCompleted;

describe('notScoredBecause', () => {
  it('scores grounded answers, also an embedded answer that found no passages (it abstains)', () => {
    expect(notScoredBecause(completed({}))).toBeUndefined();
    expect(notScoredBecause(completed({ contexts: [], endpoint: '/v1/chat/completions' }))).toBeUndefined();
    expect(notScoredBecause(completed({ provider: 'openai', endpoint: '/v1/answers', contexts: [] }))).toBeUndefined();
  });

  it('skips failed requests and pass-through chat completions of provider models', () => {
    expect(notScoredBecause(completed({ errorCode: 'MODEL.UPSTREAM_TIMEOUT', answer: '' }))).toMatch(/failed/);
    expect(notScoredBecause(completed({ provider: 'openai', endpoint: '/v1/chat/completions', contexts: [] }))).toMatch(
      /pass-through/,
    );
  });

  it('skips embeddings requests, which have no answer (served or failed)', () => {
    const embeddings = { endpoint: '/v1/embeddings', operation: 'embeddings', answer: '', contexts: [], question: '' };
    expect(notScoredBecause(completed(embeddings))).toMatch(/embeddings/);
    expect(notScoredBecause(completed({ ...embeddings, errorCode: 'MODEL.TIMEOUT' }))).toMatch(/embeddings/);
    // An older producer sets no operation: the endpoint says it.
    expect(notScoredBecause(completed({ endpoint: '/v1/embeddings', contexts: [] }))).toMatch(/embeddings/);
  });
});
