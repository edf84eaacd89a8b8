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
 *
 * Several reviewers: when the item's queue asks for N > 1 (`reviewersRequired`), each decision is
 * appended to `decisions` and the item goes back to the queue for someone else, until N distinct
 * reviewers decided; then the standing decision (the majority outcome; on a tie, the latest
 * decision) is stored as `decision` and the event goes out, once, naming every reviewer.
 */
import { Citation } from '@keel/contracts/common/v1';
import { ContextChunk } from '@keel/contracts/events/v1/inference';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import type { EventPublisher } from '@keel/event-bus';
import { conflict, type Logger, validationError } from '@keel/platform';
import { getQueue } from '../queues/queue-store.js';
import { DEFAULT_QUEUE_ID, EMPTY_RUBRIC, type Rubric } from '../queues/review-queue.js';
import { rubricViolations } from '../queues/rubric.js';
import { alreadyDecided, contended, ReviewErrorCode } from './review-errors.js';
import {
  type DecisionOutcome,
  decisionsOf,
  missingHalves,
  type ReviewDecision,
  type ReviewItem,
  type RubricAnswers,
} from './review-item.js';
import { accessUnchanged, loadReview, type ReviewStore } from './review-store.js';
import type { Reviewer } from './reviewer.js';

export interface DecisionInput {
  outcome: DecisionOutcome;
  /** Required when the outcome is `corrected` (the HTTP layer enforces it). */
  correctedAnswer?: string;
  comment?: string;
  /** Checked against the item's queue rubric. */
  rubric?: RubricAnswers;
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
    ...(input.rubric ? { rubric: input.rubric } : {}),
  };
}

function sameDecision(stored: ReviewDecision | null | undefined, wanted: ReviewDecision): boolean {
  return (
    stored !== null &&
    stored !== undefined &&
    stored.reviewer === wanted.reviewer &&
    stored.outcome === wanted.outcome &&
    stored.correctedAnswer === wanted.correctedAnswer &&
    stored.comment === wanted.comment &&
    JSON.stringify(stored.rubric ?? null) === JSON.stringify(wanted.rubric ?? null)
  );
}

/** The decision that stands: the latest one whose outcome has the most votes (a tie: the latest decision). */
export function standingDecision(decisions: readonly ReviewDecision[]): ReviewDecision {
  const votes = new Map<DecisionOutcome, number>();
  for (const decision of decisions) votes.set(decision.outcome, (votes.get(decision.outcome) ?? 0) + 1);
  const most = Math.max(...votes.values());
  for (let index = decisions.length - 1; index >= 0; index--) {
    const decision = decisions[index];
    if (decision && votes.get(decision.outcome) === most) return decision;
  }
  throw new Error('standingDecision needs at least one decision');
}

async function rubricOf(deps: DecideDeps, item: ReviewItem): Promise<Rubric> {
  if (!deps.queues) return EMPTY_RUBRIC;
  const queueId = item.queueId ?? DEFAULT_QUEUE_ID;
  // A queue deleted since the item was queued has no rubric any more; its items are re-routed.
  return getQueue({ queues: deps.queues, now: deps.now }, item.tenantId, queueId).then(
    (queue) => queue.rubric,
    () => EMPTY_RUBRIC,
  );
}

async function checkRubric(deps: DecideDeps, item: ReviewItem, answers: RubricAnswers | undefined): Promise<void> {
  if (!answers) return;
  const violations = rubricViolations(await rubricOf(deps, item), answers);
  if (violations.length > 0) throw validationError(violations);
}

export async function publishDecision(deps: DecideDeps, item: ReviewItem): Promise<ReviewItem> {
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
      queueId: item.queueId ?? DEFAULT_QUEUE_ID,
      reviewers: { names: decisionsOf(item).map((each) => each.reviewer) },
      ...(decision.rubric ? { rubricJson: JSON.stringify(decision.rubric) } : {}),
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
    const decisions = decisionsOf(current);
    const mine = decisions.find((each) => each.reviewer === reviewer.name);
    if (current.status === 'decided') {
      if (!sameDecision(mine, decision)) throw alreadyDecided(id, current.decision);
      const item = current.decisionPublishedAt === null ? await publishDecision(deps, current) : current;
      return { item, created: false };
    }
    if (mine) {
      // Several reviewers: this one's part is done; a repeat is answered, a change refused.
      if (sameDecision(mine, decision)) return { item: current, created: false };
      throw alreadyDecided(id, mine, 'was already decided by you; other reviewers decide it next');
    }
    if (current.status !== 'claimed' || current.claimedBy !== reviewer.name || (current.leaseExpiresAt ?? 0) <= now) {
      throw conflict(
        `review ${id}: claim it first; only the holder of a live lease may decide`,
        ReviewErrorCode.leaseNotHeld,
      );
    }
    if (attempt === 0) await checkRubric(deps, current, input.rubric);
    const all = [...decisions, decision];
    const held = {
      ...accessUnchanged(current),
      status: 'claimed',
      claimedBy: reviewer.name,
      leaseExpiresAt: { $gt: now },
    };
    if (all.length < (current.reviewersRequired ?? 1)) {
      const passed = await deps.reviews.updateIf(id, held, {
        status: 'pending',
        claimedBy: null,
        leaseExpiresAt: null,
        decisions: all,
        decisionCount: all.length,
        updatedAt: now,
      });
      if (passed) {
        deps.logger.info(
          { reviewId: id, outcome: decision.outcome, reviewer: reviewer.name, decisions: all.length },
          'review decided by one of several reviewers; back in the queue for the next',
        );
        return { item: passed, created: true };
      }
      continue;
    }
    const decided = await deps.reviews.updateIf(id, held, {
      status: 'decided',
      decision: standingDecision(all),
      decisions: all,
      decisionCount: all.length,
      decidedAt: now,
      leaseExpiresAt: null,
      decisionPublishedAt: null,
      updatedAt: now,
    });
    if (decided) {
      const item = await publishDecision(deps, decided);
      deps.logger.info({ reviewId: id, outcome: decision.outcome, reviewer: reviewer.name }, 'review decided');
      return { item, created: true };
    }
  }
  throw contended(id, 'decided');
}
