/** The stable codes this service's conflicts carry, for consoles and clients to act on. */
import { conflict, type KeelError, notFound } from '@keel/platform';

export const ReviewErrorCode = {
  notFound: 'REVIEW.NOT_FOUND',
  alreadyClaimed: 'REVIEW.ALREADY_CLAIMED',
  alreadyDecided: 'REVIEW.ALREADY_DECIDED',
  leaseNotHeld: 'REVIEW.LEASE_NOT_HELD',
  contended: 'REVIEW.CONTENDED',
} as const;

/** Another tenant's item is reported exactly like a missing one: ids reveal nothing. */
export function reviewNotFound(id: string): KeelError {
  return notFound(`review ${id}`, ReviewErrorCode.notFound);
}

export function alreadyDecided(id: string): KeelError {
  return conflict(`review ${id} is already decided`, ReviewErrorCode.alreadyDecided);
}
