/**
 * The use case behind `keel.inference.completed.v1`: score the answer, store the evaluation,
 * announce it (`keel.evaluation.scored.v1`) and, below the review threshold, ask for a human
 * review (`keel.review.requested.v1`).
 *
 * Idempotent under at-least-once delivery: the record's id is the request id and its
 * `publishedAt` says whether the events went out. A redelivery after everything succeeded does
 * nothing; one after a crash between storing and publishing publishes again, with the same
 * idempotency keys and the same deterministic review id, so consumers de-duplicate.
 *
 * Beyond groundedness, the record and the scored event carry the online metrics (citation
 * validity, answer relevance, refusal correctness: scoring/), latency and cost
 * (serving-measures.ts) and, when the judge is on, its rating; review is still asked on
 * groundedness alone. Once published, the answer is counted in its tenant's drift window (drift/),
 * once: `driftObservedAt` marks it.
 *
 * Read access travels with the exchange: the record, the scored event and the review request
 * carry `readRequires` (the event's own, combined with its contexts' ACL groups), so nothing
 * derived from restricted chunks is shown to a caller who could not have read those chunks.
 */

import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { ReviewReason } from '@keel/contracts/review/v1';
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import type { EventPublisher } from '@keel/event-bus';
import {
  combineReadRequirements,
  conflict,
  currentTraceId,
  type GroupRequirement,
  type Logger,
  readRequirementsOf,
  z,
} from '@keel/platform';
import type { DriftTracker } from '../drift/drift-tracker.js';
import type { Judge, JudgeOutcome } from '../judge/llm-judge.js';
import { type MetricScore, ONLINE_METRICS_VERSION } from '../scoring/score-answer.js';
import { inlineScorer, type Scorer } from '../scoring/scoring-pool.js';
import { recordGroundedness } from './evaluation-metrics.js';
import type { EvaluationRecord } from './evaluation-record.js';
import {
  boundedList,
  boundedText,
  checkEventBounds,
  citationsSchema,
  contextChunksSchema,
  EVENT_LIMITS,
  groupRequirementsSchema,
} from './event-limits.js';
import { reviewIdFor } from './review-id.js';
import { servingFactsOf, servingMeasures } from './serving-measures.js';

export interface EvaluationPolicy {
  /** Groundedness below this asks for a review. */
  reviewThreshold: number;
  /** Support a claim needs to count as supported. */
  claimThreshold: number;
}

export interface EvaluateDeps {
  evaluations: Collection<EvaluationRecord>;
  /** Scores off the event loop: the service's worker pool. Inline when absent (unit tests). */
  scorer?: Scorer;
  // Only publish is needed: tests hand in a recorder, the service an EventPublisher.
  publisher: Pick<EventPublisher, 'publish'>;
  policy: EvaluationPolicy;
  logger: Logger;
  now?: () => number;
  /** The optional LLM judge (EVALUATION_JUDGE_MODEL); absent, answers are not judged. */
  judge?: Judge;
  /** Per-tenant drift windows; absent, drift is off. */
  drift?: DriftTracker;
}

const LOW_SCORE = 'LOW_SCORE';

/** Who may read what the event carries: its own requirements and those of every context. */
export function readRequiresOf(event: InferenceCompleted): GroupRequirement[] {
  return combineReadRequirements(
    event.readRequires,
    readRequirementsOf(event.contexts.map((context) => context.aclGroups ?? [])),
  );
}

function judgeScore(outcome: JudgeOutcome & { ok: true }): MetricScore {
  return {
    metric: 'judge',
    value: outcome.score,
    explanation: `mean of ${outcome.samples} ratings by ${outcome.model} (stddev ${outcome.stddev}, min ${outcome.min}, max ${outcome.max}); prompt ${outcome.promptVersion}`,
  };
}

export async function buildEvaluationRecord(
  event: InferenceCompleted,
  policy: EvaluationPolicy,
  createdAt: number,
  scorer: Scorer = inlineScorer,
  judge?: Judge,
): Promise<EvaluationRecord> {
  // Bounded (an oversized event is cut down, with a note in the explanation) and off the event
  // loop; an event waits for a scoring thread rather than being refused when the queue is full.
  const contexts = event.contexts.map(({ chunkId, text }) => ({ chunkId, text }));
  const scores = await scorer.score(
    {
      answer: event.answer,
      contexts,
      question: event.question,
      citations: event.citations.map(({ marker, chunkId }) => ({ marker, chunkId })),
    },
    { claimThreshold: policy.claimThreshold, online: true },
    { wait: true },
  );
  // Never throws: a failed judgement is recorded on the evaluation, and scoring goes on.
  const judged = judge ? await judge.judge({ question: event.question, answer: event.answer, contexts }) : null;
  const serving = servingFactsOf(event);
  const passed = scores.groundedness >= policy.reviewThreshold;
  return {
    id: event.requestId,
    tenantId: event.tenantId,
    requestId: event.requestId,
    // The handler runs inside the event's trace; the payload's own id wins when the producer set it.
    traceId: event.traceId || currentTraceId() || '',
    readRequires: readRequiresOf(event),
    endpoint: event.endpoint,
    model: event.model,
    question: event.question,
    answer: event.answer,
    groundedness: scores.groundedness,
    citationCoverage: scores.citationCoverage,
    scores: [...scores.metrics, ...servingMeasures(event), ...(judged?.ok ? [judgeScore(judged)] : [])],
    verdicts: scores.verdicts,
    citationChecks: scores.citationChecks ?? [],
    onlineMetricsVersion: ONLINE_METRICS_VERSION,
    judge: judged,
    contextCount: event.contexts.length,
    latencyMs: serving.latencyMs,
    cost: serving.cost,
    currency: serving.currency,
    abstained: scores.abstained,
    threshold: policy.reviewThreshold,
    claimThreshold: scores.claimThreshold,
    passed,
    evaluatorVersion: scores.evaluatorVersion,
    reviewId: passed ? null : reviewIdFor(event.tenantId, event.requestId, LOW_SCORE),
    completedAt: event.completedAt ? event.completedAt.getTime() : null,
    createdAt,
    publishedAt: null,
    driftObservedAt: null,
  };
}

async function storeOnce(
  evaluations: Collection<EvaluationRecord>,
  record: EvaluationRecord,
): Promise<EvaluationRecord> {
  try {
    await evaluations.insert(record);
    return record;
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
    // A concurrent delivery of the same event stored it first: continue with its record.
    const stored = await evaluations.get(record.id);
    if (!stored) throw error;
    return stored;
  }
}

function reviewDetail(record: EvaluationRecord): string {
  const unsupported = record.verdicts.filter((verdict) => !verdict.supported).length;
  return `groundedness ${record.groundedness} is below ${record.threshold}: ${unsupported} of ${record.verdicts.length} claims unsupported by the retrieved contexts`;
}

async function publishEvaluation(
  deps: EvaluateDeps,
  record: EvaluationRecord,
  event: InferenceCompleted,
  now: number,
): Promise<void> {
  await deps.publisher.publish(
    'keel.evaluation.scored.v1',
    {
      requestId: record.requestId,
      tenantId: record.tenantId,
      traceId: record.traceId,
      scores: record.scores.map(({ metric, value, explanation, unit }) => ({
        metric,
        value,
        explanation,
        ...(unit === undefined ? {} : { unit }),
      })),
      verdicts: record.verdicts.map(({ claim, supported, supportingChunkId, support }) => ({
        claim,
        supported,
        supportingChunkId,
        support,
      })),
      threshold: record.threshold,
      passed: record.passed,
      evaluatorVersion: record.evaluatorVersion,
      scoredAt: new Date(record.createdAt),
      readRequires: record.readRequires,
    },
    { idempotencyKey: `evaluation.scored:${record.tenantId}:${record.requestId}` },
  );
  if (record.reviewId === null) return;
  await deps.publisher.publish(
    'keel.review.requested.v1',
    {
      reviewId: record.reviewId,
      tenantId: record.tenantId,
      requestId: record.requestId,
      traceId: record.traceId,
      reason: ReviewReason.REVIEW_REASON_LOW_SCORE,
      detail: reviewDetail(record),
      question: event.question,
      answer: event.answer,
      citations: event.citations,
      contexts: event.contexts,
      score: record.groundedness,
      requestedBy: 'evaluation',
      requestedAt: new Date(now),
      // The contexts keep their own ACL groups; the item as a whole needs all of them.
      readRequires: record.readRequires,
    },
    { idempotencyKey: record.reviewId },
  );
}

export const completedInferenceBounds = z.object({
  requestId: boundedText.id.min(1, 'is required'),
  traceId: boundedText.id,
  tenantId: boundedText.id,
  endpoint: boundedText.id,
  model: boundedText.id,
  provider: boundedText.id,
  subject: boundedText.id,
  question: boundedText.question,
  answer: boundedText.answer,
  contexts: contextChunksSchema,
  citations: citationsSchema,
  policy: boundedList(
    z.object({
      stage: boundedText.id,
      decision: boundedText.id,
      decisionId: boundedText.id,
      findingTypes: boundedList(boundedText.id, EVENT_LIMITS.findingTypes, 'finding types'),
    }),
    EVENT_LIMITS.policyOutcomes,
    'policy outcomes',
  ),
  readRequires: groupRequirementsSchema,
});

/**
 * Not retryable when it fails: the same bytes will never gain a request id nor shrink, so the bus
 * dead-letters the event with the violations instead of scoring unbounded text.
 */
function checkEvent(event: InferenceCompleted): void {
  checkEventBounds(completedInferenceBounds, event, 'keel.inference.completed.v1 event');
}

export async function evaluateCompletedInference(
  deps: EvaluateDeps,
  event: InferenceCompleted,
): Promise<EvaluationRecord> {
  checkEvent(event);
  const now = deps.now ?? Date.now;
  const record =
    (await deps.evaluations.get(event.requestId)) ??
    (await storeOnce(
      deps.evaluations,
      await buildEvaluationRecord(event, deps.policy, now(), deps.scorer, deps.judge),
    ));
  if (record.tenantId !== event.tenantId) {
    throw conflict(
      `request ${event.requestId} was already evaluated for another tenant`,
      'EVALUATION.REQUEST_ID_CLASH',
    );
  }
  if (record.publishedAt !== null) {
    deps.logger.debug({ requestId: event.requestId }, 'evaluation already recorded and published; redelivery ignored');
    // A crash after publishing but before drift counted the answer: count it now (once).
    return observeDrift(deps, record, event, now);
  }

  await publishEvaluation(deps, record, event, now());
  const publishedAt = now();
  const marked = await deps.evaluations.updateIf(record.id, { publishedAt: { $exists: false } }, { publishedAt });
  recordGroundedness(record.groundedness, { model: record.model, passed: record.passed });
  deps.logger.info(
    {
      requestId: record.requestId,
      groundedness: record.groundedness,
      passed: record.passed,
      reviewId: record.reviewId ?? undefined,
    },
    'answer evaluated',
  );
  return observeDrift(deps, marked ?? { ...record, publishedAt }, event, now);
}

async function observeDrift(
  deps: EvaluateDeps,
  record: EvaluationRecord,
  event: InferenceCompleted,
  now: () => number,
): Promise<EvaluationRecord> {
  // Records from before the online metrics (no version) are not drift material: their scores differ.
  if (!deps.drift || !record.onlineMetricsVersion || record.driftObservedAt) return record;
  await deps.drift.observe(record, event);
  const driftObservedAt = now();
  const marked = await deps.evaluations.updateIf(record.id, {}, { driftObservedAt });
  return marked ?? { ...record, driftObservedAt };
}
