/** The JSON the HTTP API returns for a review item: the status a reader should see, ISO times. */
import { effectiveStatus, missingHalves, type ReviewItem } from '../reviews/review-item.js';

function iso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}

export function reviewView(item: ReviewItem, now: number) {
  const status = effectiveStatus(item, now);
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
    decision: item.decision
      ? {
          outcome: item.decision.outcome,
          correctedAnswer: item.decision.correctedAnswer,
          comment: item.decision.comment,
          reviewer: item.decision.reviewer,
          decidedAt: iso(item.decision.decidedAt),
        }
      : null,
    createdAt: iso(item.createdAt),
    updatedAt: iso(item.updatedAt),
  };
}
