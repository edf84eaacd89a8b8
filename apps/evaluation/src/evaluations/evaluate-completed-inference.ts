/**
 * The use case behind `keel.inference.completed.v1`: score the answer, store the evaluation,
 * announce it (`keel.evaluation.scored.v1`) and, below the review threshold, ask for a human
 * review (`keel.review.requested.v1`).
 *
 * Idempotent under at-least-once delivery: the record's id is the request id and its
 * `publishedAt` says whether the events went out. A redelivery after everything succeeded does
 * nothing; one after a crash between storing and publishing publishes again, with the same
 * idempotency keys and the same deterministic review id, so consumers de-duplicate.
 */

import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { ReviewReason } from '@keel/contracts/review/v1';
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import type { EventPublisher } from '@keel/event-bus';
import { conflict, currentTraceId, type Logger, validationError } from '@keel/platform';
import { scoreAnswer } from '../scoring/score-answer.js';
import { recordGroundedness } from './evaluation-metrics.js';
import type { EvaluationRecord } from './evaluation-record.js';
import { reviewIdFor } from './review-id.js';

export interface EvaluationPolicy {
  /** Groundedness below this asks for a review. */
  reviewThreshold: number;
  /** Support a claim needs to count as supported. */
  claimThreshold: number;
}

export interface EvaluateDeps {
  evaluations: Collection<EvaluationRecord>;
  // Only publish is needed: tests hand in a recorder, the service an EventPublisher.
  publisher: Pick<EventPublisher, 'publish'>;
  policy: EvaluationPolicy;
  logger: Logger;
  now?: () => number;
}

const LOW_SCORE = 'LOW_SCORE';

export function buildEvaluationRecord(
  event: InferenceCompleted,
  policy: EvaluationPolicy,
  createdAt: number,
): EvaluationRecord {
  const scores = scoreAnswer(
    { answer: event.answer, contexts: event.contexts.map(({ chunkId, text }) => ({ chunkId, text })) },
    { claimThreshold: policy.claimThreshold },
  );
  const passed = scores.groundedness >= policy.reviewThreshold;
  return {
    id: event.requestId,
    tenantId: event.tenantId,
    requestId: event.requestId,
    // The handler runs inside the event's trace; the payload's own id wins when the producer set it.
    traceId: event.traceId || currentTraceId() || '',
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
    },
    { idempotencyKey: record.reviewId },
  );
}

function checkEvent(event: InferenceCompleted): void {
  if (!event.requestId) {
    // Not retryable: the same bytes will never gain a request id, so the bus dead-letters it.
    throw validationError([{ field: 'request_id', message: 'is required' }], 'inference event without a request id');
  }
}

export async function evaluateCompletedInference(
  deps: EvaluateDeps,
  event: InferenceCompleted,
): Promise<EvaluationRecord> {
  checkEvent(event);
  const now = deps.now ?? Date.now;
  const record =
    (await deps.evaluations.get(event.requestId)) ??
    (await storeOnce(deps.evaluations, buildEvaluationRecord(event, deps.policy, now())));
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
