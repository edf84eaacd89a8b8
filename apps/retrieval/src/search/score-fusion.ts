/**
 * Hybrid fusion by score (a convex combination of standardised scores; Bruch, Gai & Ingber, "An
 * Analysis of Fusion Functions for Hybrid Retrieval", 2023): each list's scores become z-scores
 * over that list, and a chunk scores `denseWeight · z(cosine) + keywordWeight · z(BM25)`. A chunk
 * missing from one list counts as that list's lowest score. Unlike reciprocal-rank fusion it keeps
 * how far apart the scores are, so a clear BM25 winner stays first while near-ties are broken by
 * the vectors: with the embedded word vectors that is what lifts hybrid search above BM25 alone
 * (bench/fusion-weights.ts).
 */
import type { HybridFusion, VectorHit } from '@keel/vector-store';

export type FusionMethod = 'zscore' | 'rrf';

/** How hybrid search combines its lists: `rrf` runs in the index, `zscore` here. */
export interface SearchFusion extends Pick<HybridFusion, 'denseWeight' | 'keywordWeight'> {
  method: FusionMethod;
}

/**
 * How deep each list goes for score fusion: the z-scores are taken over this many hits, the
 * depth the weights were measured at.
 */
export const SCORE_FUSION_DEPTH = 100;

export function fuseByScore(
  dense: readonly VectorHit[],
  keyword: readonly VectorHit[],
  limit: number,
  weights: Pick<HybridFusion, 'denseWeight' | 'keywordWeight'>,
): VectorHit[] {
  const denseZ = standardised(dense);
  const keywordZ = standardised(keyword);
  const denseFloor = Math.min(0, ...denseZ.values());
  const keywordFloor = Math.min(0, ...keywordZ.values());
  const byId = new Map<string, VectorHit>();
  for (const hit of [...keyword, ...dense]) if (!byId.has(hit.id)) byId.set(hit.id, hit);
  const denseRanks = ranks(dense);
  const keywordRanks = ranks(keyword);
  const keywordFirst = weights.keywordWeight >= weights.denseWeight;
  return (
    [...byId.values()]
      .map((hit) => ({
        hit,
        score:
          (weights.denseWeight > 0 ? weights.denseWeight * (denseZ.get(hit.id) ?? denseFloor) : 0) +
          (weights.keywordWeight > 0 ? weights.keywordWeight * (keywordZ.get(hit.id) ?? keywordFloor) : 0),
        first: (keywordFirst ? keywordRanks : denseRanks).get(hit.id) ?? Number.POSITIVE_INFINITY,
        second: (keywordFirst ? denseRanks : keywordRanks).get(hit.id) ?? Number.POSITIVE_INFINITY,
      }))
      // Ties (a weight of 0, equal scores) follow the heavier list's ranks, then the other's, then the id.
      .sort((a, b) => b.score - a.score || a.first - b.first || a.second - b.second || (a.hit.id < b.hit.id ? -1 : 1))
      .slice(0, limit)
      .map(({ hit, score }) => ({
        id: hit.id,
        score,
        text: hit.text,
        payload: hit.payload,
        denseRank: denseRanks.get(hit.id) ?? 0,
        keywordRank: keywordRanks.get(hit.id) ?? 0,
      }))
  );
}

/** (score − mean) / standard deviation over the list; 0 for all when they are equal. */
function standardised(hits: readonly VectorHit[]): Map<string, number> {
  if (hits.length === 0) return new Map();
  const mean = hits.reduce((sum, hit) => sum + hit.score, 0) / hits.length;
  const deviation = Math.sqrt(hits.reduce((sum, hit) => sum + (hit.score - mean) ** 2, 0) / hits.length);
  return new Map(hits.map((hit) => [hit.id, deviation > 0 ? (hit.score - mean) / deviation : 0]));
}

function ranks(hits: readonly VectorHit[]): Map<string, number> {
  const byId = new Map<string, number>();
  hits.forEach((hit, index) => {
    if (!byId.has(hit.id)) byId.set(hit.id, index + 1);
  });
  return byId;
}
