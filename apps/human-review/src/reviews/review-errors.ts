/** The stable codes this service's errors carry, for consoles and clients to act on. */
import { conflict, forbidden, type KeelError, notFound } from '@keel/platform';

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

export function alreadyDecided(id: string): KeelError {
  return conflict(`review ${id} is already decided`, ReviewErrorCode.alreadyDecided);
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
