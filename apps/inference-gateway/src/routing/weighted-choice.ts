/**
 * Weighted random order of deployments (Efraimidis-Spirakis: each item draws u^(1/w) and the
 * draws are sorted): the first is chosen with probability weight / total, and the rest follow in
 * the same weighted way, so failover spreads as traffic does. A weight of 0 always comes last:
 * such a deployment only takes traffic when the others fail.
 */
export function weightedOrder<T extends { weight: number }>(
  items: readonly T[],
  random: () => number = Math.random,
): T[] {
  return items
    .map((item) => ({ item, key: item.weight > 0 ? random() ** (1 / item.weight) : -1 }))
    .sort((a, b) => b.key - a.key)
    .map(({ item }) => item);
}
