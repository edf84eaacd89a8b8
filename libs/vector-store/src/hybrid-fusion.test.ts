import { describe, expect, it } from 'vitest';
import { equalWeightFusion, fuseHybrid, hybridCandidateCount } from './hybrid-fusion.js';
import { defaultRrfK } from './reciprocal-rank-fusion.js';
import { validateFusion } from './request-validation.js';
import type { HybridFusion, VectorHit } from './vector-index.js';
import { VectorStoreErrorCode } from './vector-store-error.js';

const hits = (...ids: string[]): VectorHit[] =>
  ids.map((id, position) => ({ id, score: 1 - position / 100, text: `text ${id}`, payload: { tenantId: 't' } }));
const ids = (found: readonly VectorHit[]) => found.map((hit) => hit.id);

const dense = hits('d1', 'both', 'd3', 'd4');
const keyword = hits('k1', 'k2', 'both', 'k4');

describe('fuseHybrid', () => {
  it('defaults to classic RRF: equal weights, k 60', () => {
    expect(equalWeightFusion).toEqual({ denseWeight: 1, keywordWeight: 1, k: defaultRrfK });
    const fused = fuseHybrid(dense, keyword, 3);
    expect(ids(fused)).toEqual(['both', 'd1', 'k1']);
    expect(fused[0]).toEqual({
      id: 'both',
      score: 1 / 62 + 1 / 63,
      text: 'text both',
      payload: { tenantId: 't' },
      denseRank: 2,
      keywordRank: 3,
    });
    expect(fuseHybrid(dense, keyword, 3, { denseWeight: 1, keywordWeight: 1 })).toEqual(fused);
  });

  it('weights the lists and passes k through', () => {
    const leaning: HybridFusion = { denseWeight: 0.25, keywordWeight: 1 };
    const fused = fuseHybrid(dense, keyword, 8, leaning);
    // k2 (keyword rank 2) now beats d1 (dense rank 1): 1/62 > 0.25/61.
    expect(ids(fused).slice(0, 3)).toEqual(['both', 'k1', 'k2']);
    expect(fused.find((hit) => hit.id === 'd1')?.score).toBeCloseTo(0.25 / 61, 15);
    expect(fused.find((hit) => hit.id === 'both')?.score).toBeCloseTo(0.25 / 62 + 1 / 63, 15);
    const sharp = fuseHybrid(dense, keyword, 8, { ...leaning, k: 0 });
    expect(sharp.find((hit) => hit.id === 'k1')?.score).toBe(1);
    // With k 0 a first place is worth more than a second and a third together.
    expect(ids(sharp)[0]).toBe('k1');
  });

  it('with one weight 0 returns that list’s order exactly, ranks of both lists included', () => {
    const keywordOnly = fuseHybrid(dense, keyword, 3, { denseWeight: 0, keywordWeight: 1 });
    expect(ids(keywordOnly)).toEqual(['k1', 'k2', 'both']);
    expect(keywordOnly.map((hit) => [hit.denseRank, hit.keywordRank])).toEqual([
      [0, 1],
      [0, 2],
      [2, 3],
    ]);
    expect(ids(fuseHybrid(dense, keyword, 10, { denseWeight: 2, keywordWeight: 0 }))).toEqual(ids(dense));
  });

  it('returns nothing for two empty lists and cuts at the limit', () => {
    expect(fuseHybrid([], [], 10)).toEqual([]);
    expect(fuseHybrid(dense, keyword, 1)).toHaveLength(1);
    expect(hybridCandidateCount(5)).toBe(40);
    expect(hybridCandidateCount(50)).toBe(200);
  });
});

describe('validateFusion', () => {
  const rejects = (fusion: unknown) => {
    try {
      validateFusion(fusion as HybridFusion);
    } catch (error) {
      return (error as { code?: string }).code;
    }
    return undefined;
  };

  it('accepts non-negative finite weights with one positive, and a non-negative k', () => {
    expect(rejects({ denseWeight: 0.3, keywordWeight: 1 })).toBeUndefined();
    expect(rejects({ denseWeight: 0, keywordWeight: 2, k: 0 })).toBeUndefined();
    expect(rejects({ denseWeight: 1, keywordWeight: 0, k: 10.5 })).toBeUndefined();
  });

  it('rejects anything else as an invalid request', () => {
    for (const fusion of [
      null,
      'equal',
      {},
      { denseWeight: 1 },
      { denseWeight: -1, keywordWeight: 1 },
      { denseWeight: 1, keywordWeight: Number.NaN },
      { denseWeight: Number.POSITIVE_INFINITY, keywordWeight: 1 },
      { denseWeight: '1', keywordWeight: 1 },
      { denseWeight: 0, keywordWeight: 0 },
      { denseWeight: 1, keywordWeight: 1, k: -1 },
      { denseWeight: 1, keywordWeight: 1, k: Number.POSITIVE_INFINITY },
    ]) {
      expect(rejects(fusion), JSON.stringify(fusion)).toBe(VectorStoreErrorCode.InvalidRequest);
    }
  });
});
