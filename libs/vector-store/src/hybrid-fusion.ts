import { reciprocalRankFusion } from './reciprocal-rank-fusion.js';
import { maxSearchLimit } from './request-validation.js';
import type { VectorHit } from './vector-index.js';

/**
 * How deep each list of a hybrid search goes before fusion. Deeper than `limit` so that a
 * chunk ranked moderately by both lists can beat one ranked high by only one of them.
 */
export function hybridCandidateCount(limit: number): number {
  return Math.min(maxSearchLimit, Math.max(4 * limit, 40));
}

/**
 * Fuses a dense and a keyword result list with reciprocal rank fusion (k = 60), client-side in
 * both adapters so that they rank and report identically: `score` is the fused score,
 * `denseRank`/`keywordRank` the 1-based positions in each list (0 when absent).
 */
export function fuseHybrid(dense: readonly VectorHit[], keyword: readonly VectorHit[], limit: number): VectorHit[] {
  const byId = new Map<string, VectorHit>();
  for (const hit of [...keyword, ...dense]) byId.set(hit.id, hit);
  return reciprocalRankFusion([dense, keyword])
    .slice(0, limit)
    .flatMap(({ id, score, ranks }) => {
      const hit = byId.get(id);
      if (!hit) return [];
      return [
        { id, score, text: hit.text, payload: hit.payload, denseRank: ranks[0] ?? 0, keywordRank: ranks[1] ?? 0 },
      ];
    });
}
