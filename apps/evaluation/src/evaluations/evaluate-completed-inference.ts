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
}

const LOW_SCORE = 'LOW_SCORE';

/** Who may read what the event carries: its own requirements and those of every context. */
export function readRequiresOf(event: InferenceCompleted): GroupRequirement[] {
  return combineReadRequirements(
    event.readRequires,
    readRequirementsOf(event.contexts.map((context) => context.aclGroups ?? [])),
  );
}

export async function buildEvaluationRecord(
  event: InferenceCompleted,
  policy: EvaluationPolicy,
  createdAt: number,
  scorer: Scorer = inlineScorer,
): Promise<EvaluationRecord> {
  // Bounded (an oversized event is cut down, with a note in the explanation) and off the event
  // loop; an event waits for a scoring thread rather than being refused when the queue is full.
  const scores = await scorer.score(
    { answer: event.answer, contexts: event.contexts.map(({ chunkId, text }) => ({ chunkId, text })) },
    { claimThreshold: policy.claimThreshold },
    { wait: true },
  );
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
    scores: scores.metrics,
    verdicts: scores.verdicts,
    abstained: scores.abstained,
    threshold: policy.reviewThreshold,
    claimThreshold: scores.claimThreshold,
    passed,
    evaluatorVersion: scores.evaluatorVersion,
    reviewId: passed ? null : reviewIdFor(event.tenantId, event.requestId, LOW_SCORE),
    completedAt: event.completedAt ? event.completedAt.getTime() : null,
    createdAt,
    publishedAt: null,
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
      scores: record.scores,
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
    (await storeOnce(deps.evaluations, await buildEvaluationRecord(event, deps.policy, now(), deps.scorer)));
  if (record.tenantId !== event.tenantId) {
    throw conflict(
      `request ${event.requestId} was already evaluated for another tenant`,
      'EVALUATION.REQUEST_ID_CLASH',
    );
  }
  if (record.publishedAt !== null) {
    deps.logger.debug({ requestId: event.requestId }, 'evaluation already recorded and published; redelivery ignored');
    return record;
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
  return marked ?? { ...record, publishedAt };
}
