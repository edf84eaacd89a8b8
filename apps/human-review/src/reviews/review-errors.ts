/** The stable codes this service's errors carry, for consoles and clients to act on. */
import { conflict, forbidden, KeelError, notFound } from '@keel/platform';
import type { ReviewDecision } from './review-item.js';

export const ReviewErrorCode = {
  notFound: 'REVIEW.NOT_FOUND',
  alreadyClaimed: 'REVIEW.ALREADY_CLAIMED',
  alreadyDecided: 'REVIEW.ALREADY_DECIDED',
  leaseNotHeld: 'REVIEW.LEASE_NOT_HELD',
  contended: 'REVIEW.CONTENDED',
  reviewerUnnamed: 'REVIEW.REVIEWER_UNNAMED',
} as const;

/**
 * Another tenant's item, and one the caller's groups may not read, are reported exactly like a
 * missing one: ids reveal nothing.
 */
export function reviewNotFound(id: string): KeelError {
  return notFound(`review ${id}`, ReviewErrorCode.notFound);
}

/**
 * A decision on an item someone already decided (or the caller already decided, when several
 * reviewers decide it): 409 carrying the stored decision, so the loser sees what stands and loses
 * nothing (the HTTP layer adds it to the problem document as `decision`).
 */
export class AlreadyDecidedError extends KeelError {
  constructor(
    id: string,
    readonly decision: ReviewDecision | null,
    why = 'is already decided',
  ) {
    const base = conflict(`review ${id} ${why}${decision ? `: ${describeDecision(decision)}` : ''}`);
    super(base.message, {
      code: ReviewErrorCode.alreadyDecided,
      httpStatus: base.httpStatus,
      grpcCode: base.grpcCode,
      retryable: false,
    });
  }
}

function describeDecision(decision: ReviewDecision): string {
  return `${decision.outcome} by ${decision.reviewer} at ${new Date(decision.decidedAt).toISOString()}`;
}

export function alreadyDecided(id: string, decision: ReviewDecision | null = null, why?: string): AlreadyDecidedError {
  return new AlreadyDecidedError(id, decision, why);
}

export function contended(id: string, action: string): KeelError {
  return conflict(`review ${id} changed while it was being ${action}; try again`, ReviewErrorCode.contended);
}

/** Claims and decisions name a person; a key without a configured name names nobody. */
export function reviewerUnnamed(): KeelError {
  return forbidden(
    "claims, releases and decisions are signed with the reviewer's name, and this API key has none: " +
      'give it one in KEEL_API_KEYS as key=tenant:groups:name (for example reviewer-key=acme:legal:Alice Smith, ' +
      'or reviewer-key=acme::Alice Smith without groups), one key per person',
    ReviewErrorCode.reviewerUnnamed,
  );
}
