/**
 * What a run measures per row beside the scorer's groundedness and citation coverage:
 *
 * - `reference_overlap`: token F1 of the answer against the reference answer (SQuAD's measure:
 *   lowercased words, punctuation, articles and citation markers dropped), when there is a reference;
 * - `retrieval_hit`: 1 when the answer cites at least one relevant document, else 0;
 * - `recall_at_k`: the share of relevant documents among those the answer cites (`k`: the
 *   citations `/v1/answers` returns, which are the retrieved passages the answer used).
 */
const ARTICLES = new Set(['a', 'an', 'the']);

export function tokensOf(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/\[\^?\d+(?:\s*,\s*\d+)*\]/g, ' ')
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token.length > 0 && !ARTICLES.has(token));
}

export function tokenF1(answer: string, reference: string): number {
  const predicted = tokensOf(answer);
  const expected = tokensOf(reference);
  if (predicted.length === 0 || expected.length === 0) return predicted.length === expected.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const token of expected) counts.set(token, (counts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predicted) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      common++;
      counts.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / expected.length;
  return (2 * precision * recall) / (precision + recall);
}

export function retrievalMetrics(
  citedDocumentIds: readonly string[],
  relevant: readonly string[],
): { retrieval_hit: number; recall_at_k: number } | undefined {
  const wanted = new Set(relevant);
  if (wanted.size === 0) return undefined;
  const cited = new Set(citedDocumentIds);
  let found = 0;
  for (const id of wanted) if (cited.has(id)) found++;
  return { retrieval_hit: found > 0 ? 1 : 0, recall_at_k: found / wanted.size };
}
