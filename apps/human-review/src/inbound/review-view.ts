/** The JSON the HTTP API returns for a review item: the status a reader should see, ISO times. */
import { DEFAULT_QUEUE_ID, DEFAULT_QUEUE_SETTINGS } from '../queues/review-queue.js';
import {
  decisionsOf,
  effectiveStatus,
  missingHalves,
  type ReviewDecision,
  type ReviewItem,
} from '../reviews/review-item.js';

function iso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}

export function decisionView(decision: ReviewDecision) {
  return {
    outcome: decision.outcome,
    correctedAnswer: decision.correctedAnswer,
    comment: decision.comment,
    reviewer: decision.reviewer,
    decidedAt: iso(decision.decidedAt),
    rubric: decision.rubric ?? null,
  };
}

export function reviewView(item: ReviewItem, now: number) {
  const status = effectiveStatus(item, now);
  // Items from before queues are adopted into `default` at start; until then they read as if they were.
  const dueAt = item.dueAt ?? item.createdAt + DEFAULT_QUEUE_SETTINGS.slaMinutes * 60_000;
  return {
    id: item.id,
    requestId: item.requestId,
    traceId: item.traceId,
    reason: item.reason,
    detail: item.detail,
    question: item.question,
    answer: item.answer,
    citations: item.citations,
    contexts: item.contexts,
    // Who may read the item (every requirement: one of its groups); empty means the whole tenant.
    readRequires: item.readRequires ?? [],
    // The halves of the exchange the item lacks: an escalation whose exchange has not arrived.
    missing: missingHalves(item),
    score: item.score,
    requestedBy: item.requestedBy,
    requestedAt: iso(item.requestedAt),
    status,
    // A lapsed claim is nobody's: shown as pending, without a holder.
    claimedBy: status === 'claimed' ? item.claimedBy : null,
    leaseExpiresAt: status === 'claimed' ? iso(item.leaseExpiresAt) : null,
    decision: item.decision ? decisionView(item.decision) : null,
    queueId: item.queueId ?? DEFAULT_QUEUE_ID,
    priority: item.priority ?? DEFAULT_QUEUE_SETTINGS.basePriority,
    dueAt: iso(dueAt),
    // Marked by the sweep; an open item past due reads as breached before the sweep gets to it.
    slaBreached: Boolean(item.slaBreachedAt) || (status !== 'decided' && dueAt <= now),
    slaBreachedAt: iso(item.slaBreachedAt ?? null),
    reviewersRequired: item.reviewersRequired ?? 1,
    // Every reviewer's decision in order; `decision` is the one that stands once the item is decided.
    decisions: decisionsOf(item).map(decisionView),
    skips: (item.skips ?? []).map((skip) => ({ reviewer: skip.reviewer, reason: skip.reason, at: iso(skip.at) })),
    createdAt: iso(item.createdAt),
    updatedAt: iso(item.updatedAt),
  };
}
