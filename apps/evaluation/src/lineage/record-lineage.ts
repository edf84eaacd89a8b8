/**
 * The use cases behind the lineage consumers: each event becomes one lineage entry, stored once.
 * Events are checked against their bounds first; a malformed one (over a limit, no request id, an
 * unknown review outcome) throws a non-retryable validation error, so the bus dead-letters it.
 * Store failures are retryable.
 */
import type { EvaluationScored } from '@keel/contracts/events/v1/evaluation';
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { PolicyDecided } from '@keel/contracts/events/v1/policy';
import type { ReviewDecided } from '@keel/contracts/events/v1/review';
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import {
  combineReadRequirements,
  currentTraceId,
  type Logger,
  readRequirementsOf,
  validationError,
  z,
} from '@keel/platform';
import { LABELS, reviewDecidedBounds } from '../datasets/record-review-decision.js';
import { completedInferenceBounds } from '../evaluations/evaluate-completed-inference.js';
import {
  boundedList,
  boundedText,
  checkEventBounds,
  EVENT_LIMITS,
  groupRequirementsSchema,
} from '../evaluations/event-limits.js';
import { clip, type LineageEntry, lineageEntryId, MAX_ENTRIES_PER_REQUEST, SOURCE_LENGTH } from './lineage-entry.js';

export interface RecordLineageDeps {
  lineage: Collection<LineageEntry>;
  logger: Logger;
  now?: () => number;
}

/** Where an event came from: its envelope. */
export interface EventOrigin {
  eventId: string;
  /** The W3C `traceparent` the producer sent, when it did. */
  traceparent?: string;
}

const requestId = boundedText.id.min(1, 'is required');

const policyDecidedBounds = z.object({
  decisionId: boundedText.id.min(1, 'is required'),
  tenantId: boundedText.id,
  requestId: boundedText.id,
  stage: boundedText.id,
  decision: boundedText.id,
  findingTypes: boundedList(boundedText.id, EVENT_LIMITS.findingTypes, 'finding types'),
  reason: boundedText.comment,
  policyVersion: boundedText.id,
  rulesFired: boundedList(boundedText.id, EVENT_LIMITS.policyRules, 'rules'),
  decidedBy: boundedText.id,
});

const evaluationScoredBounds = z.object({
  requestId,
  tenantId: boundedText.id,
  traceId: boundedText.id,
  scores: boundedList(
    z.object({ metric: boundedText.id, explanation: boundedText.comment, unit: boundedText.id.optional() }),
    EVENT_LIMITS.metrics,
    'scores',
  ),
  verdicts: boundedList(
    z.object({ claim: boundedText.answer, supportingChunkId: boundedText.id }),
    EVENT_LIMITS.verdicts,
    'verdicts',
  ).refine(
    // Claims are sentences of one answer: together they are about as long as it.
    (verdicts) => verdicts.reduce((total, verdict) => total + verdict.claim.length, 0) <= 2 * EVENT_LIMITS.answerLength,
    { message: `at most ${2 * EVENT_LIMITS.answerLength} characters of claims in all` },
  ),
  evaluatorVersion: boundedText.id,
  readRequires: groupRequirementsSchema,
});

/**
 * Whether a decision or review is about an answered request. The policy service's document scans
 * (ingestion) decide without a request id, and reviews of escalated documents carry none: they
 * belong to a document's history, not to an answer's, and are passed over (not dead-lettered).
 */
export function concernsAnAnswer(event: { requestId: string }): boolean {
  return event.requestId !== '';
}

/** The trace id of a W3C traceparent (`00-<trace id>-<span id>-<flags>`), if it holds one. */
export function traceIdOfTraceparent(traceparent: string | undefined): string {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return match?.[1] ?? '';
}

/** The payload's own trace id wins; else the producer's trace from the envelope. */
function traceOf(payloadTraceId: string, origin: EventOrigin): string {
  return payloadTraceId || traceIdOfTraceparent(origin.traceparent) || currentTraceId() || '';
}

export function completionEntry(event: InferenceCompleted, origin: EventOrigin, receivedAt: number): LineageEntry {
  checkEventBounds(completedInferenceBounds, event, 'keel.inference.completed.v1 event');
  const usage = event.usage;
  return {
    id: lineageEntryId(event.tenantId, 'completion', event.requestId),
    kind: 'completion',
    tenantId: event.tenantId,
    requestId: event.requestId,
    key: event.requestId,
    eventId: origin.eventId,
    traceId: traceOf(event.traceId, origin),
    at: event.completedAt?.getTime() ?? receivedAt,
    receivedAt,
    readRequires: combineReadRequirements(
      event.readRequires,
      readRequirementsOf(event.contexts.map((context) => context.aclGroups ?? [])),
    ),
    completion: {
      endpoint: event.endpoint,
      model: event.model,
      provider: event.provider,
      question: event.question,
      answer: event.answer,
      usage: usage
        ? {
            promptTokens: usage.promptTokens,
            completionTokens: usage.completionTokens,
            totalTokens: usage.totalTokens,
            cachedTokens: usage.cachedTokens ?? null,
            reasoningTokens: usage.reasoningTokens ?? null,
          }
        : null,
      // Events from gateways before `cost` existed priced in USD only.
      cost: event.cost ?? usage?.costUsd ?? null,
      currency: event.currency ?? (usage ? 'USD' : null),
      priced: event.priced ?? null,
      cacheHit: event.cacheHit ?? false,
      latencyMs: event.latencyMs,
      attempts: event.attempts ?? null,
      streamed: event.streamed ?? false,
      errorCode: event.errorCode ?? null,
      policyStatus: event.policyStatus ?? null,
      passagesDropped: event.passagesDropped ?? 0,
      passagesRedacted: event.passagesRedacted ?? 0,
      // Titles and quotes only explain; ids and sources are what lineage is for.
      citations: event.citations.map((citation) => ({
        marker: citation.marker,
        chunkId: citation.chunkId,
        documentId: citation.documentId,
        documentVersion: citation.documentVersion,
        title: clip(citation.title),
        source: clip(citation.source, SOURCE_LENGTH),
        quote: clip(citation.quote),
        score: citation.score,
      })),
      contexts: event.contexts.map(({ chunkId, documentId, documentVersion, score }) => ({
        chunkId,
        documentId,
        documentVersion,
        score,
      })),
      policy: event.policy.map(({ stage, decision, decisionId, findingTypes }) => ({
        stage,
        decision,
        decisionId,
        findingTypes,
      })),
    },
  };
}

export function policyEntry(event: PolicyDecided, origin: EventOrigin, receivedAt: number): LineageEntry {
  checkEventBounds(policyDecidedBounds, event, 'keel.policy.decided.v1 event');
  return {
    id: lineageEntryId(event.tenantId, 'policy', event.decisionId),
    kind: 'policy',
    tenantId: event.tenantId,
    requestId: event.requestId,
    key: event.decisionId,
    eventId: origin.eventId,
    // The decision carries no trace id: the producer's trace travels in the envelope.
    traceId: traceOf('', origin),
    at: event.decidedAt?.getTime() ?? receivedAt,
    receivedAt,
    // Finding types, counts and rule ids, never the checked text: nothing to restrict.
    readRequires: [],
    policy: {
      decisionId: event.decisionId,
      stage: event.stage,
      decision: event.decision,
      policyVersion: event.policyVersion,
      rulesFired: event.rulesFired,
      findingTypes: event.findingTypes,
      findingCount: event.findingCount,
      reason: clip(event.reason),
      decidedBy: event.decidedBy,
    },
  };
}

export function evaluationEntry(event: EvaluationScored, origin: EventOrigin, receivedAt: number): LineageEntry {
  checkEventBounds(evaluationScoredBounds, event, 'keel.evaluation.scored.v1 event');
  return {
    id: lineageEntryId(event.tenantId, 'evaluation', event.requestId),
    kind: 'evaluation',
    tenantId: event.tenantId,
    requestId: event.requestId,
    key: event.requestId,
    eventId: origin.eventId,
    traceId: traceOf(event.traceId, origin),
    at: event.scoredAt?.getTime() ?? receivedAt,
    receivedAt,
    readRequires: combineReadRequirements(event.readRequires),
    evaluation: {
      scores: event.scores.map(({ metric, value, explanation, unit }) => ({
        metric,
        value,
        explanation: clip(explanation),
        // Measurements (latency_ms, cost) carry their unit; quality scores in [0, 1] have none.
        ...(unit ? { unit } : {}),
      })),
      verdicts: event.verdicts.map(({ claim, supported, supportingChunkId, support }) => ({
        claim,
        supported,
        supportingChunkId,
        support,
      })),
      threshold: event.threshold,
      passed: event.passed,
      evaluatorVersion: event.evaluatorVersion,
    },
  };
}

export function reviewEntry(event: ReviewDecided, origin: EventOrigin, receivedAt: number): LineageEntry {
  checkEventBounds(reviewDecidedBounds, event, 'keel.review.decided.v1 event');
  const outcome = LABELS[event.outcome];
  if (!outcome) throw validationError([{ field: 'outcome', message: `unknown review outcome ${event.outcome}` }]);
  return {
    id: lineageEntryId(event.tenantId, 'review', event.reviewId),
    kind: 'review',
    tenantId: event.tenantId,
    requestId: event.requestId,
    key: event.reviewId,
    eventId: origin.eventId,
    traceId: traceOf(event.traceId, origin),
    at: event.decidedAt?.getTime() ?? receivedAt,
    receivedAt,
    readRequires: combineReadRequirements(
      event.readRequires,
      readRequirementsOf(event.contexts.map((context) => context.aclGroups ?? [])),
    ),
    review: {
      reviewId: event.reviewId,
      outcome,
      reviewer: event.reviewer,
      comment: event.comment,
      question: event.question,
      originalAnswer: event.originalAnswer,
      correctedAnswer: event.correctedAnswer,
    },
  };
}

/**
 * Stores the entry unless it is there already; returns whether it was new. A request that already
 * holds `MAX_ENTRIES_PER_REQUEST` facts takes no more: the event is dead-lettered, not dropped.
 */
export async function recordLineageEntry(deps: RecordLineageDeps, entry: LineageEntry): Promise<boolean> {
  if ((await deps.lineage.get(entry.id)) !== null) return false;
  const held = await deps.lineage.count({ tenantId: entry.tenantId, requestId: entry.requestId });
  if (held >= MAX_ENTRIES_PER_REQUEST) {
    throw validationError(
      [{ field: 'requestId', message: `request already holds ${MAX_ENTRIES_PER_REQUEST} lineage entries` }],
      `lineage of request ${entry.requestId} is full`,
    );
  }
  try {
    await deps.lineage.insert(entry);
  } catch (error) {
    // A concurrent delivery of the same fact stored it first.
    if (error instanceof DuplicateKeyError) return false;
    throw error;
  }
  deps.logger.debug({ requestId: entry.requestId, kind: entry.kind }, 'lineage entry recorded');
  return true;
}
