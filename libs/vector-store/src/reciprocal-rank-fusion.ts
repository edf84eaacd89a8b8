export interface FusedRank {
  id: string;
  /** Σ 1 / (k + rank) over the lists that hold the id. */
  score: number;
  /** 1-based rank of the id in each input list, 0 where it is absent. */
  ranks: number[];
}

/** The constant of Cormack, Clarke and Büttcher (2009), also Qdrant's and most engines' default. */
export const defaultRrfK = 60;

/**
 * Reciprocal rank fusion: every list votes 1 / (k + rank) for each id it holds. Scores of
 * the inputs are ignored, so lists on incomparable scales (cosine, BM25) fuse fairly.
 * Ties are broken by the best single rank, then by id, so the output is deterministic.
 * An id repeated within one list counts at its first (best) rank.
 */
export function reciprocalRankFusion(
  lists: readonly (readonly { id: string }[])[],
  k: number = defaultRrfK,
): FusedRank[] {
  if (!(k >= 0) || !Number.isFinite(k)) throw new RangeError(`k must be a non-negative number, got ${k}`);
  const fused = new Map<string, FusedRank>();
  lists.forEach((list, listIndex) => {
    list.forEach(({ id }, position) => {
      let entry = fused.get(id);
      if (!entry) {
        entry = { id, score: 0, ranks: lists.map(() => 0) };
        fused.set(id, entry);
      }
      if (entry.ranks[listIndex] !== 0) return;
      entry.ranks[listIndex] = position + 1;
      entry.score += 1 / (k + position + 1);
    });
  });
  const bestRank = (entry: FusedRank) => Math.min(...entry.ranks.filter((rank) => rank > 0));
  return [...fused.values()].sort(
    (a, b) => b.score - a.score || bestRank(a) - bestRank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
