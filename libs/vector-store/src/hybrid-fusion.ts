import { defaultRrfK, reciprocalRankFusion } from './reciprocal-rank-fusion.js';
import { maxSearchLimit } from './request-validation.js';
import type { HybridFusion, VectorHit } from './vector-index.js';

/**
 * How deep each list of a hybrid search goes before fusion. Deeper than `limit` so that a
 * chunk ranked moderately by both lists can beat one ranked high by only one of them.
 */
export function hybridCandidateCount(limit: number): number {
  return Math.min(maxSearchLimit, Math.max(4 * limit, 40));
}

/**
 * Classic RRF: both lists trusted alike. The port's default because the port cannot know how good
 * the embedder is; a service that measured its own lists passes its weights in `VectorQuery.fusion`.
 */
export const equalWeightFusion: Readonly<Required<HybridFusion>> = Object.freeze({
  denseWeight: 1,
  keywordWeight: 1,
  k: defaultRrfK,
});

/**
 * Fuses a dense and a keyword result list with weighted reciprocal rank fusion, client-side in
 * both adapters so that they rank and report identically: `score` is the fused score,
 * `denseRank`/`keywordRank` the 1-based positions in each list (0 when absent).
 */
export function fuseHybrid(
  dense: readonly VectorHit[],
  keyword: readonly VectorHit[],
  limit: number,
  fusion: HybridFusion = equalWeightFusion,
): VectorHit[] {
  const byId = new Map<string, VectorHit>();
  for (const hit of [...keyword, ...dense]) byId.set(hit.id, hit);
  return reciprocalRankFusion([dense, keyword], {
    k: fusion.k ?? defaultRrfK,
    weights: [fusion.denseWeight, fusion.keywordWeight],
  })
    .slice(0, limit)
    .flatMap(({ id, score, ranks }) => {
      const hit = byId.get(id);
      if (!hit) return [];
      return [
        { id, score, text: hit.text, payload: hit.payload, denseRank: ranks[0] ?? 0, keywordRank: ranks[1] ?? 0 },
      ];
    });
}
