/**
 * Deciding: only the holder of a live lease may decide, and the decision is written with a
 * conditional update so it happens once. Then `keel.review.decided.v1` goes out.
 *
 * Idempotent: repeating the same decision (same reviewer, outcome, correction and comment)
 * answers with the stored decision and publishes nothing new. If the first attempt stored the
 * decision but failed to publish (the bus was down), the repeat publishes it: the event is
 * delivered at least once, with the review id as its idempotency key.
 *
 * The event carries the whole reviewed exchange (question, answer, citations, contexts), who may
 * read it (`readRequires`), and what it lacked (`missing`: an escalation whose exchange never
 * arrived), so that evaluation keeps an incomplete exchange out of its golden examples.
 */
import { Citation } from '@keel/contracts/common/v1';
import { ContextChunk } from '@keel/contracts/events/v1/inference';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import type { EventPublisher } from '@keel/event-bus';
import { conflict, type Logger } from '@keel/platform';
import { alreadyDecided, contended, ReviewErrorCode } from './review-errors.js';
import { type DecisionOutcome, missingHalves, type ReviewDecision, type ReviewItem } from './review-item.js';
import { accessUnchanged, loadReview, type ReviewStore } from './review-store.js';
import type { Reviewer } from './reviewer.js';

export interface DecisionInput {
  outcome: DecisionOutcome;
  /** Required when the outcome is `corrected` (the HTTP layer enforces it). */
  correctedAnswer?: string;
  comment?: string;
}

export interface DecideDeps extends ReviewStore {
  // Only publish is needed: tests hand in a recorder, the service an EventPublisher.
  publisher: Pick<EventPublisher, 'publish'>;
  logger: Logger;
}

export interface DecisionResult {
  item: ReviewItem;
  /** False when this repeated an earlier identical decision. */
  created: boolean;
}

// Between the read and the conditional update the item can change (an exchange completes it).
const DECIDE_ATTEMPTS = 3;

const OUTCOMES: Record<DecisionOutcome, ReviewOutcome> = {
  approved: ReviewOutcome.REVIEW_OUTCOME_APPROVED,
  rejected: ReviewOutcome.REVIEW_OUTCOME_REJECTED,
  corrected: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
};

function decisionOf(input: DecisionInput, reviewer: string, now: number): ReviewDecision {
  return {
    outcome: input.outcome,
    correctedAnswer: input.outcome === 'corrected' ? (input.correctedAnswer ?? '') : null,
    comment: input.comment ?? null,
    reviewer,
    decidedAt: now,
  };
}

function sameDecision(stored: ReviewDecision | null, wanted: ReviewDecision): boolean {
  return (
    stored !== null &&
    stored.reviewer === wanted.reviewer &&
    stored.outcome === wanted.outcome &&
    stored.correctedAnswer === wanted.correctedAnswer &&
    stored.comment === wanted.comment
  );
}

async function publishDecision(deps: DecideDeps, item: ReviewItem): Promise<ReviewItem> {
  const decision = item.decision;
  if (!decision) throw new Error(`review ${item.id} has no decision to publish`);
  await deps.publisher.publish(
    'keel.review.decided.v1',
    {
      reviewId: item.id,
      tenantId: item.tenantId,
      requestId: item.requestId,
      traceId: item.traceId,
      outcome: OUTCOMES[decision.outcome],
      question: item.question,
      originalAnswer: item.answer,
      correctedAnswer: decision.correctedAnswer ?? '',
      reviewer: decision.reviewer,
      comment: decision.comment ?? '',
      decidedAt: new Date(decision.decidedAt),
      readRequires: (item.readRequires ?? []).map((requirement) => ({ anyOf: [...requirement.anyOf] })),
      missing: missingHalves(item),
      // fromPartial: items stored before a contract field existed publish its default.
      citations: item.citations.map((citation) => Citation.fromPartial(citation)),
      contexts: item.contexts.map((context) => ContextChunk.fromPartial(context)),
    },
    { idempotencyKey: `review.decided:${item.id}` },
  );
  const publishedAt = deps.now();
  const marked = await deps.reviews.updateIf(
    item.id,
    { decisionPublishedAt: { $exists: false } },
    { decisionPublishedAt: publishedAt },
  );
  return marked ?? { ...item, decisionPublishedAt: publishedAt };
}

export async function decideReview(
  deps: DecideDeps,
  reviewer: Reviewer,
  id: string,
  input: DecisionInput,
): Promise<DecisionResult> {
  for (let attempt = 0; attempt < DECIDE_ATTEMPTS; attempt++) {
    const current = await loadReview(deps, reviewer, id);
    const now = deps.now();
    const decision = decisionOf(input, reviewer.name, now);
    if (current.status === 'decided') {
      if (!sameDecision(current.decision, decision)) throw alreadyDecided(id);
      const item = current.decisionPublishedAt === null ? await publishDecision(deps, current) : current;
      return { item, created: false };
    }
    if (current.status !== 'claimed' || current.claimedBy !== reviewer.name || (current.leaseExpiresAt ?? 0) <= now) {
      throw conflict(
        `review ${id}: claim it first; only the holder of a live lease may decide`,
        ReviewErrorCode.leaseNotHeld,
      );
    }
    const decided = await deps.reviews.updateIf(
      id,
      { ...accessUnchanged(current), status: 'claimed', claimedBy: reviewer.name, leaseExpiresAt: { $gt: now } },
      { status: 'decided', decision, leaseExpiresAt: null, decisionPublishedAt: null, updatedAt: now },
    );
    if (decided) {
      const item = await publishDecision(deps, decided);
      deps.logger.info({ reviewId: id, outcome: decision.outcome, reviewer: reviewer.name }, 'review decided');
      return { item, created: true };
    }
  }
  throw contended(id, 'decided');
}
