/**
 * Citation validity: does each cited passage support the sentence that cites it? Groundedness
 * asks whether *some* context supports a claim; this asks whether the context the answer *points
 * to* does, so an answer that quotes chunk 2 but cites [1] is caught.
 *
 * Each (claim, marker number) pair is one check: the marker resolves to the chunks it names (the
 * citations carrying that marker, else the n-th context, since answerers number the contexts
 * they were given), and the check passes when one of them supports the claim at the claim
 * threshold (support.ts, through a one-chunk ContextIndex so work stays bounded). A marker that
 * names no retrieved chunk fails. `citation_validity = passing checks / checks`; an answer
 * without markers on its claims scores 1 (nothing was cited wrongly; citation_coverage says
 * whether it should have cited).
 */
import type { Claim } from './claims.js';
import { ContextIndex, type WorkBudget } from './context-index.js';
import type { MetricScore, ScoringContext } from './score-answer.js';

export interface CitationLink {
  /** The `[n]` of the answer text this citation backs; 0 when the producer set none. */
  marker: number;
  chunkId: string;
}

export interface CitationCheck {
  claim: string;
  marker: number;
  /** The chunk that supports the claim best among those the marker names; empty when none. */
  chunkId: string;
  support: number;
  valid: boolean;
}

// A range marker like `[1-300]` must not turn into hundreds of checks.
const MAX_NUMBERS_PER_MARKER = 20;

/** The numbers a marker names: `[1]` → 1, `[1, 3]` → 1 and 3, `[2-4]` → 2, 3, 4, `[^5]` → 5. */
export function markerNumbers(marker: string): number[] {
  const numbers: number[] = [];
  for (const part of marker.replace(/^\[|\]$/g, '').split(/\s*[,;]\s*/)) {
    const range = /^\^?(\d+)\s*[–-]\s*\^?(\d+)$/.exec(part);
    if (range) {
      const from = Number(range[1]);
      const to = Math.min(Number(range[2]), from + MAX_NUMBERS_PER_MARKER - 1);
      for (let n = from; n <= to; n++) numbers.push(n);
      continue;
    }
    const single = /^\^?(\d+)$/.exec(part);
    if (single) numbers.push(Number(single[1]));
  }
  return [...new Set(numbers)].slice(0, MAX_NUMBERS_PER_MARKER);
}

/** The chunk ids marker `n` names: its citations, else the n-th context (1-based). */
export function chunksOfMarker(
  n: number,
  citations: readonly CitationLink[],
  contexts: readonly ScoringContext[],
): string[] {
  const cited = citations.filter((citation) => citation.marker === n && citation.chunkId).map((c) => c.chunkId);
  if (cited.length > 0) return [...new Set(cited)];
  const context = n >= 1 ? contexts[n - 1] : undefined;
  return context ? [context.chunkId] : [];
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export interface CitationValidity {
  score: MetricScore;
  checks: CitationCheck[];
  /** False when the budget ran out: some supports are lower bounds. */
  complete: boolean;
}

export function citationValidity(
  claims: readonly Claim[],
  contexts: readonly ScoringContext[],
  citations: readonly CitationLink[],
  claimThreshold: number,
  budget: WorkBudget,
): CitationValidity {
  const textOf = new Map<string, string>();
  for (const context of contexts) if (!textOf.has(context.chunkId)) textOf.set(context.chunkId, context.text);
  const indexes = new Map<string, ContextIndex>();
  const indexOf = (chunkId: string): ContextIndex | undefined => {
    const text = textOf.get(chunkId);
    if (text === undefined) return undefined;
    let index = indexes.get(chunkId);
    if (!index) {
      index = new ContextIndex([{ chunkId, text }]);
      indexes.set(chunkId, index);
    }
    return index;
  };
  let complete = true;
  const checks: CitationCheck[] = [];
  for (const claim of claims) {
    const numbers = [...new Set(claim.citationMarkers.flatMap(markerNumbers))];
    for (const marker of numbers) {
      let best = { chunkId: '', support: 0 };
      for (const chunkId of chunksOfMarker(marker, citations, contexts)) {
        const index = indexOf(chunkId);
        if (!index) continue;
        const found = index.bestSupport(claim.terms, budget);
        if (!found.complete) complete = false;
        if (found.support > best.support || best.chunkId === '') best = { chunkId, support: found.support };
      }
      const support = round(best.support);
      checks.push({ claim: claim.text, marker, chunkId: best.chunkId, support, valid: support >= claimThreshold });
    }
  }
  const valid = checks.filter((check) => check.valid).length;
  let explanation =
    checks.length === 0
      ? 'no claim carries a citation marker'
      : `${valid} of ${checks.length} citations support the claim that cites them (support >= ${claimThreshold})`;
  const unresolved = checks.filter((check) => check.chunkId === '').length;
  if (unresolved > 0) explanation += `; ${unresolved} name no retrieved passage`;
  if (!complete) explanation += '; work limit reached (supports are lower bounds)';
  return {
    score: {
      metric: 'citation_validity',
      value: checks.length === 0 ? 1 : round(valid / checks.length),
      explanation,
    },
    checks,
    complete,
  };
}
