export interface FusedRank {
  id: string;
  /** Σ weight / (k + rank) over the lists that hold the id. */
  score: number;
  /** 1-based rank of the id in each input list, 0 where it is absent. */
  ranks: number[];
}

/** The constant of Cormack, Clarke and Büttcher (2009), also Qdrant's and most engines' default. */
export const defaultRrfK = 60;

export interface RankFusionOptions {
  /** Added to every rank; larger values flatten the gap between the top ranks and the rest. */
  k?: number;
  /**
   * One weight per list, multiplying its votes (default: 1 for every list, classic RRF). A list
   * weighted 0 adds nothing to any score and brings no candidates of its own; its ranks are still
   * reported for the ids the other lists hold, so a caller can see where it would have placed them.
   */
  weights?: readonly number[];
}

/**
 * Weighted reciprocal rank fusion: every list votes weight / (k + rank) for each id it holds.
 * Scores of the inputs are ignored, so lists on incomparable scales (cosine, BM25) fuse fairly;
 * the weights say how far each list is trusted. Ties are broken by the best rank in a weighted
 * list, then by id, so the output is deterministic. An id repeated within one list counts at its
 * first (best) rank.
 */
export function reciprocalRankFusion(
  lists: readonly (readonly { id: string }[])[],
  options: RankFusionOptions = {},
): FusedRank[] {
  const k = options.k ?? defaultRrfK;
  if (!(k >= 0) || !Number.isFinite(k)) throw new RangeError(`k must be a non-negative number, got ${k}`);
  const weights = options.weights ?? lists.map(() => 1);
  validateWeights(weights, lists.length);

  const fused = new Map<string, FusedRank>();
  // Weighted lists first: they alone decide which ids are candidates.
  lists.forEach((list, listIndex) => {
    const weight = weights[listIndex] as number;
    if (weight === 0) return;
    list.forEach(({ id }, position) => {
      let entry = fused.get(id);
      if (!entry) {
        entry = { id, score: 0, ranks: lists.map(() => 0) };
        fused.set(id, entry);
      }
      if (entry.ranks[listIndex] !== 0) return;
      entry.ranks[listIndex] = position + 1;
      entry.score += weight / (k + position + 1);
    });
  });
  lists.forEach((list, listIndex) => {
    if (weights[listIndex] !== 0) return;
    list.forEach(({ id }, position) => {
      const entry = fused.get(id);
      if (entry && entry.ranks[listIndex] === 0) entry.ranks[listIndex] = position + 1;
    });
  });

  const bestRank = (entry: FusedRank) =>
    Math.min(...entry.ranks.filter((rank, listIndex) => rank > 0 && weights[listIndex] !== 0));
  return [...fused.values()].sort(
    (a, b) => b.score - a.score || bestRank(a) - bestRank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

function validateWeights(weights: readonly number[], lists: number): void {
  if (weights.length !== lists) {
    throw new RangeError(`expected one weight per list (${lists}), got ${weights.length}`);
  }
  const bad = weights.find((weight) => !(weight >= 0) || !Number.isFinite(weight));
  if (bad !== undefined) throw new RangeError(`weights must be non-negative finite numbers, got ${bad}`);
  if (lists > 0 && weights.every((weight) => weight === 0)) {
    throw new RangeError('at least one weight must be positive');
  }
}
