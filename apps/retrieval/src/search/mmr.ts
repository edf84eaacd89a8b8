/**
 * Maximal marginal relevance (Carbonell & Goldstein, 1998): picks results one at a time, each
 * maximising `lambda · relevance − (1 − lambda) · its highest cosine similarity to a result already
 * picked`, so that near-duplicate chunks (the same paragraph in two versions of a manual, boilerplate
 * repeated across pages) do not fill the page. Relevance is the ranking's own score scaled to 0-1
 * over the candidates, so MMR keeps whatever ordering came before it (fused, BM25, reranked) and
 * never needs a query vector.
 */

export interface MmrCandidate {
  score: number;
  vector: readonly number[];
}

/** The positions in `candidates` of the `limit` results MMR picks, in pick order. */
export function selectByMmr(candidates: readonly MmrCandidate[], limit: number, lambda: number): number[] {
  const count = Math.min(limit, candidates.length);
  if (count <= 0) return [];
  const relevance = scaledScores(candidates.map((candidate) => candidate.score));
  const unit = candidates.map((candidate) => normalised(candidate.vector));
  // The highest similarity of each candidate to anything picked so far; updated per pick, O(n·k).
  const redundancy = new Array<number>(candidates.length).fill(Number.NEGATIVE_INFINITY);
  const picked: number[] = [];
  const remaining = new Set(candidates.map((_, index) => index));
  while (picked.length < count) {
    let best = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (const index of remaining) {
      const penalty = picked.length === 0 ? 0 : (redundancy[index] as number);
      const value = lambda * (relevance[index] as number) - (1 - lambda) * penalty;
      // Ties keep the earlier (better-ranked) candidate.
      if (value > bestValue + 1e-12) {
        best = index;
        bestValue = value;
      }
    }
    picked.push(best);
    remaining.delete(best);
    const chosen = unit[best] as number[];
    for (const index of remaining) {
      redundancy[index] = Math.max(redundancy[index] as number, dot(unit[index] as number[], chosen));
    }
  }
  return picked;
}

/** Min-max scaled to [0, 1]; all equal (or one candidate) → all 1. */
function scaledScores(scores: readonly number[]): number[] {
  const finite = scores.map((score) => (Number.isFinite(score) ? score : 0));
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  return finite.map((score) => (high > low ? (score - low) / (high - low) : 1));
}

function normalised(vector: readonly number[]): number[] {
  const norm = Math.hypot(...vector);
  return norm > 0 ? vector.map((value) => value / norm) : vector.map(() => 0);
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}
