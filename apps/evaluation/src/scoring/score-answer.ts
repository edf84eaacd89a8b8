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
 *
 * Bounded: an input over SCORING_LIMITS is cut down first (scoring-limits.ts), and the work of
 * comparing claims with contexts is counted against a budget (context-index.ts); either way the
 * groundedness explanation says what was left out, and `truncated` lists it.
 */
import { answerRelevance } from './answer-relevance.js';
import { type CitationCheck, type CitationLink, citationValidity } from './citation-validity.js';
import { extractClaims } from './claims.js';
import { type BestSupport, ContextIndex, WorkBudget } from './context-index.js';
import { refusalCorrectness } from './refusal-correctness.js';
import { limitScoringInput, SCORING_LIMITS } from './scoring-limits.js';

/**
 * Bumped whenever a change can move a score, so stored scores say how they were made.
 * 2: redaction placeholders (`[CARD]`) match their kind of value in the contexts or, untyped
 * (`[REDACTED]`), count as no term at all; inputs are bounded.
 */
export const EVALUATOR_VERSION = 'lexical-groundedness/2';

export const DEFAULT_CLAIM_THRESHOLD = 0.7;

/**
 * Operations (posting entries, windows, window terms, LCS word steps) one answer may cost: about
 * 0.5-1.5 s on one core of the 2-core dev machine. Realistic answers of the largest allowed size
 * spend 10-12% of it, 11% with a term in every sentence and claim; only inputs built to defeat
 * the index reach it (see bench/scoring.ts).
 */
export const DEFAULT_WORK_BUDGET = 100_000_000;

/**
 * The online metrics beyond groundedness (citation validity, answer relevance, refusal
 * correctness), versioned apart so that groundedness scores keep their version.
 */
export const ONLINE_METRICS_VERSION = 'lexical-online/1';

export interface ScoreOptions {
  claimThreshold?: number;
  /** Overrides DEFAULT_WORK_BUDGET (tests). */
  workBudget?: number;
  /** What the caller already cut from the input, reported with what scoring cuts. */
  truncated?: readonly string[];
  /**
   * Also score citation validity, answer relevance and refusal correctness (the online path);
   * off, `metrics` holds groundedness and citation coverage only.
   */
  online?: boolean;
}

export interface ScoringContext {
  chunkId: string;
  text: string;
}

export interface ScoringInput {
  answer: string;
  contexts: readonly ScoringContext[];
  /** For answer relevance and refusal correctness (online metrics). */
  question?: string;
  /** Which chunk each `[n]` marker cites (online metrics); without them `[n]` is the n-th context. */
  citations?: readonly CitationLink[];
}

export interface ClaimVerdict {
  claim: string;
  supported: boolean;
  /** The chunk that supports the claim best; empty when no chunk shares a term with it. */
  supportingChunkId: string;
  support: number;
  cited: boolean;
}

export type MetricName =
  | 'groundedness'
  | 'citation_coverage'
  | 'citation_validity'
  | 'answer_relevance'
  | 'refusal_correctness'
  | 'latency_ms'
  | 'cost'
  | 'judge';

export interface MetricScore {
  metric: MetricName;
  /** In [0, 1], higher is better; a measurement with a `unit` is unbounded, lower is better. */
  value: number;
  explanation: string;
  /** Set for measurements only: `ms` (latency_ms), an ISO 4217 code (cost). */
  unit?: string;
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
  /** What was not scored (input over SCORING_LIMITS, work over budget); empty when nothing. */
  truncated: string[];
  /** Online scoring only: each (claim, citation marker) check behind citation_validity. */
  citationChecks?: CitationCheck[];
}

/** Four decimals: stable in events and JSON, and finer than any threshold anyone sets. */
function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export function scoreAnswer(input: ScoringInput, options: ScoreOptions = {}): AnswerScores {
  const claimThreshold = options.claimThreshold ?? DEFAULT_CLAIM_THRESHOLD;
  const limited = limitScoringInput(input);
  const truncated = [...(options.truncated ?? []), ...limited.truncated];
  const { claims, abstentions, markerCount } = extractClaims(limited.input.answer);
  const index = new ContextIndex(limited.input.contexts);
  const budget = new WorkBudget(options.workBudget ?? DEFAULT_WORK_BUDGET);
  // Answers repeat themselves; a repeated claim is looked up once.
  const seen = new Map<string, BestSupport>();
  let incomplete = 0;
  const verdicts: ClaimVerdict[] = claims.map((claim) => {
    const key = claim.terms.join('\u0000');
    let best = seen.get(key);
    if (!best) {
      best = index.bestSupport(claim.terms, budget);
      seen.set(key, best);
    }
    if (!best.complete) incomplete++;
    const support = round(best.support);
    return {
      claim: claim.text,
      supported: support >= claimThreshold,
      supportingChunkId: best.chunkId,
      support,
      cited: claim.citationMarkers.length > 0,
    };
  });
  if (incomplete > 0) {
    truncated.push(
      `work limit reached: ${incomplete} of ${claims.length} claims not compared with every context (their support is a lower bound)`,
    );
  }
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

  if (truncated.length > 0) groundednessExplanation += `; truncated: ${truncated.join('; ')}`;
  const abstained = verdicts.length === 0 && abstentions.length > 0;
  const online = options.online
    ? onlineMetrics(
        { ...limited.input, question: (input.question ?? '').slice(0, SCORING_LIMITS.questionChars) },
        claims,
        index,
        { abstained, supported, claimThreshold, workBudget: (options.workBudget ?? DEFAULT_WORK_BUDGET) / 2 },
      )
    : undefined;
  return {
    groundedness,
    citationCoverage,
    verdicts,
    abstained,
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
      ...(online?.metrics ?? []),
    ],
    truncated,
    ...(online ? { citationChecks: online.citationChecks } : {}),
  };
}

function onlineMetrics(
  input: ScoringInput & { question: string },
  claims: ReturnType<typeof extractClaims>['claims'],
  index: ContextIndex,
  facts: { abstained: boolean; supported: number; claimThreshold: number; workBudget: number },
): { metrics: MetricScore[]; citationChecks: CitationCheck[] } {
  // A budget of its own: the extra metrics never eat into groundedness's.
  const budget = new WorkBudget(facts.workBudget);
  const validity = citationValidity(claims, input.contexts, input.citations ?? [], facts.claimThreshold, budget);
  return {
    metrics: [
      validity.score,
      answerRelevance(input.question, input.answer, facts.abstained),
      refusalCorrectness(
        {
          question: input.question,
          abstained: facts.abstained,
          claims: claims.length,
          supportedClaims: facts.supported,
        },
        index,
        budget,
      ),
    ],
    citationChecks: validity.checks,
  };
}
