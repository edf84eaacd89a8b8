/**
 * The stored evaluation of one answer: collection `evaluations`, id = the inference request id,
 * so a redelivered `keel.inference.completed.v1` finds the record instead of adding another.
 */
import type { CollectionOptions } from '@keel/doc-store';
import type { GroupRequirement } from '@keel/platform';
import type { JudgeOutcome } from '../judge/llm-judge.js';
import type { CitationCheck } from '../scoring/citation-validity.js';
import type { ClaimVerdict, MetricScore } from '../scoring/score-answer.js';

export const EVALUATIONS_COLLECTION = 'evaluations';

export const evaluationsCollectionOptions: CollectionOptions = {
  indexes: [{ fields: ['tenantId', 'createdAt'] }, { fields: ['tenantId', 'passed', 'createdAt'] }],
};

// A type alias, not an interface: the store's `Collection<T>` needs T's implicit index signature.
export type EvaluationRecord = {
  /** The inference request id. */
  id: string;
  tenantId: string;
  requestId: string;
  traceId: string;
  /**
   * Who may read this evaluation (it quotes the answer, which quotes the chunks): the completion
   * event's `readRequires` combined with its contexts' ACL groups. Empty: the whole tenant.
   * Every read checks it with `canRead`; records stored before it existed lack it (whole tenant).
   */
  readRequires: GroupRequirement[];
  endpoint: string;
  model: string;
  question: string;
  answer: string;
  groundedness: number;
  citationCoverage: number;
  /**
   * groundedness, citation_coverage, then (online metrics) citation_validity, answer_relevance,
   * refusal_correctness, latency_ms and cost (with a `unit`), and judge when the judge rated it.
   */
  scores: MetricScore[];
  verdicts: ClaimVerdict[];
  /** Each (claim, citation marker) check behind citation_validity. Absent on older records. */
  citationChecks?: CitationCheck[];
  /** The version of the online metrics; absent on records scored before them. */
  onlineMetricsVersion?: string;
  /** The LLM judge's outcome: ratings and spread, or the error that left the answer unjudged; null when off. */
  judge?: JudgeOutcome | null;
  /** Retrieved contexts the answer had (retrieval hit: at least one). */
  contextCount?: number;
  latencyMs?: number | null;
  cost?: number | null;
  currency?: string | null;
  abstained: boolean;
  /** The groundedness below which a review is requested. */
  threshold: number;
  claimThreshold: number;
  passed: boolean;
  evaluatorVersion: string;
  /** Set when the score asked for a human review. */
  reviewId: string | null;
  /** Epoch milliseconds. */
  completedAt: number | null;
  createdAt: number;
  /**
   * When the scored (and review) events went out. Null between the insert and the publish: a
   * redelivery that finds it null publishes again (consumers de-duplicate); one that finds it
   * set does nothing.
   */
  publishedAt: number | null;
  /** When drift counted this answer in its tenant's window; null or absent before. */
  driftObservedAt?: number | null;
};
