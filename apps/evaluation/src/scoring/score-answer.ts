/**
 * Scores the groundedness of one answer against the contexts it was generated from.
 *
 * - groundedness: supported claims / claims. A claim is supported when its best chunk's support
 *   (support.ts) reaches the claim threshold.
 * - citation_coverage: claims carrying at least one citation marker / claims.
 *
 * An answer without claims (it declines: "I could not find this in the documents") is grounded,
 * groundedness 1, because declining is exactly what a grounded system should do when the
 * contexts do not hold the answer; its citation coverage is 1 too (nothing needed citing).
 * But a claim-less answer that still cites sources is incoherent and scores 0.
 */
import { extractClaims } from './claims.js';
import { type PreparedChunk, prepareChunk, supportOf } from './support.js';

/** Bumped whenever a change can move a score, so stored scores say how they were made. */
export const EVALUATOR_VERSION = 'lexical-groundedness/1';

export const DEFAULT_CLAIM_THRESHOLD = 0.7;

export interface ScoringContext {
  chunkId: string;
  text: string;
}

export interface ScoringInput {
  answer: string;
  contexts: readonly ScoringContext[];
}

export interface ClaimVerdict {
  claim: string;
  supported: boolean;
  /** The chunk that supports the claim best; empty when no chunk shares a term with it. */
  supportingChunkId: string;
  support: number;
  cited: boolean;
}

export interface MetricScore {
  metric: 'groundedness' | 'citation_coverage';
  value: number;
  explanation: string;
}

export interface AnswerScores {
  groundedness: number;
  citationCoverage: number;
  verdicts: ClaimVerdict[];
  /** True when the answer declined and made no claims. */
  abstained: boolean;
  claimThreshold: number;
  evaluatorVersion: string;
  metrics: MetricScore[];
}

/** Four decimals: stable in events and JSON, and finer than any threshold anyone sets. */
function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function bestSupport(terms: readonly string[], chunks: readonly PreparedChunk[]): { chunkId: string; support: number } {
  let best = { chunkId: '', support: 0 };
  for (const chunk of chunks) {
    const support = supportOf(terms, chunk);
    if (support > best.support) best = { chunkId: chunk.chunkId, support };
  }
  return best;
}

export function scoreAnswer(input: ScoringInput, options: { claimThreshold?: number } = {}): AnswerScores {
  const claimThreshold = options.claimThreshold ?? DEFAULT_CLAIM_THRESHOLD;
  const { claims, abstentions, markerCount } = extractClaims(input.answer);
  const chunks = input.contexts.map((context) => prepareChunk(context.chunkId, context.text));

  const verdicts: ClaimVerdict[] = claims.map((claim) => {
    const best = bestSupport(claim.terms, chunks);
    const support = round(best.support);
    return {
      claim: claim.text,
      supported: support >= claimThreshold,
      supportingChunkId: best.chunkId,
      support,
      cited: claim.citationMarkers.length > 0,
    };
  });

  const supported = verdicts.filter((verdict) => verdict.supported).length;
  const cited = verdicts.filter((verdict) => verdict.cited).length;
  let groundedness: number;
  let citationCoverage: number;
  let groundednessExplanation: string;
  if (verdicts.length > 0) {
    groundedness = round(supported / verdicts.length);
    citationCoverage = round(cited / verdicts.length);
    groundednessExplanation = `${supported} of ${verdicts.length} claims supported by a context (support >= ${claimThreshold})`;
  } else if (markerCount === 0) {
    groundedness = 1;
    citationCoverage = 1;
    groundednessExplanation =
      abstentions.length > 0 ? 'the answer declines and makes no claims' : 'the answer makes no claims';
  } else {
    groundedness = 0;
    citationCoverage = 0;
    groundednessExplanation = 'the answer makes no claims yet cites sources';
  }

  return {
    groundedness,
    citationCoverage,
    verdicts,
    abstained: verdicts.length === 0 && abstentions.length > 0,
    claimThreshold,
    evaluatorVersion: EVALUATOR_VERSION,
    metrics: [
      { metric: 'groundedness', value: groundedness, explanation: groundednessExplanation },
      {
        metric: 'citation_coverage',
        value: citationCoverage,
        explanation:
          verdicts.length > 0 ? `${cited} of ${verdicts.length} claims carry a citation marker` : 'no claims to cite',
      },
    ],
  };
}
