import { createTestLogger } from '@keel/platform/testing';
import { describe, expect, it } from 'vitest';
import { RerankerStatus, rerankHits } from './rerank-hits.js';
import { type Reranker, RerankerError } from './reranker.js';

const hits = [
  { id: 'a', text: 'alpha', score: 0.9 },
  { id: 'b', text: 'bravo hotel', score: 0.8 },
  { id: 'c', text: 'charlie hotel hotel', score: 0.7 },
  { id: 'd', text: 'delta hotel hotel hotel', score: 0.6 },
];

const counting: Reranker = {
  id: 'fake:counting',
  async rerank(query, documents) {
    return documents.map((document) => document.split(' ').filter((word) => word === query).length);
  },
};

const broken: Reranker = {
  id: 'fake:broken',
  async rerank() {
    throw new RerankerError('rerank request to http://rr/rerank timed out after 2000 ms', { retryable: true });
  },
};

describe('rerankHits', () => {
  it('orders the first candidates by the reranker’s scores and keeps the rest after them', async () => {
    const { logger } = createTestLogger('rerank-test');
    const status = new RerankerStatus(counting);
    const outcome = await rerankHits({
      reranker: counting,
      status,
      logger,
      query: 'hotel',
      hits,
      candidates: 3,
      context: {},
    });
    expect(outcome.reranked).toBe(true);
    expect(outcome.hits.map((hit) => [hit.id, hit.score, hit.rerankScore])).toEqual([
      ['c', 2, 2],
      ['b', 1, 1],
      ['a', 0, 0],
      ['d', 0.6, undefined],
    ]);
    expect(status.check()).toMatchObject({ ok: true, detail: expect.stringContaining('last call succeeded') });
  });

  it('falls back to the retrieval order with a warning when the reranker fails, and says so in readiness', async () => {
    const logs = createTestLogger('rerank-test');
    const status = new RerankerStatus(broken);
    expect(status.check().detail).toBe('fake:broken: not called yet');
    const outcome = await rerankHits({
      reranker: broken,
      status,
      logger: logs.logger,
      query: 'hotel',
      hits,
      candidates: 4,
      context: { tenantId: 'acme' },
    });
    expect(outcome.reranked).toBe(false);
    expect(outcome.hits).toEqual(hits);
    const [warning] = logs.find('reranker failed');
    expect(warning).toMatchObject({ level: 'warn', tenantId: 'acme', reranker: 'fake:broken' });
    const check = status.check();
    // Ready all the same: searches go on in retrieval order.
    expect(check.ok).toBe(true);
    expect(check.detail).toMatch(/^degraded: fake:broken failed at .*timed out after 2000 ms/);
  });

  it('does not call the reranker for no hits', async () => {
    let calls = 0;
    const spy: Reranker = {
      id: 'spy',
      async rerank(_query, documents) {
        calls++;
        return documents.map(() => 1);
      },
    };
    const { logger } = createTestLogger('rerank-test');
    const outcome = await rerankHits({
      reranker: spy,
      status: new RerankerStatus(spy),
      logger,
      query: 'q',
      hits: [],
      candidates: 5,
      context: {},
    });
    expect(outcome).toEqual({ hits: [], reranked: false });
    expect(calls).toBe(0);
  });
});
