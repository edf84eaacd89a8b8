/**
 * nDCG@k with exponential gains (2^gain - 1) and log2 discounts, the usual TREC form; the
 * ideal ranking is every judged document sorted by gain. Queries without any positive gain
 * are skipped by `meanNdcgAtK` (nothing to find).
 */
export function ndcgAtK(ranked: readonly string[], gains: ReadonlyMap<string, number>, k: number): number {
  const dcg = ranked.slice(0, k).reduce((sum, id, rank) => sum + gainAt(gains.get(id) ?? 0, rank), 0);
  const ideal = [...gains.values()]
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, gain, rank) => sum + gainAt(gain, rank), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}

export function meanNdcgAtK(
  runs: ReadonlyMap<string, readonly string[]>,
  judgements: ReadonlyMap<string, ReadonlyMap<string, number>>,
  k: number,
): number {
  let total = 0;
  let counted = 0;
  for (const [query, gains] of judgements) {
    if (![...gains.values()].some((gain) => gain > 0)) continue;
    total += ndcgAtK(runs.get(query) ?? [], gains, k);
    counted += 1;
  }
  return counted === 0 ? 0 : total / counted;
}

function gainAt(gain: number, rank: number): number {
  return (2 ** gain - 1) / Math.log2(rank + 2);
}
