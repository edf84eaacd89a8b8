/**
 * Claiming and releasing: a claim is a lease, taken atomically with the store's conditional
 * update so two reviewers can never both hold one item. A lease that ran out may be taken by
 * anyone; the holder re-claiming extends it.
 */
import { conflict } from '@keel/platform';
import { alreadyDecided, ReviewErrorCode } from './review-errors.js';
import type { ReviewItem } from './review-item.js';
import { loadReview, type Reviewer, type ReviewStore } from './review-store.js';

// Between the failed conditional update and the re-read, the item can change (a lease ends, a
// release); the claim is then simply tried again, a bounded number of times.
const CLAIM_ATTEMPTS = 3;

export async function claimReview(
  store: ReviewStore,
  reviewer: Reviewer,
  id: string,
  leaseMs: number,
): Promise<ReviewItem> {
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const now = store.now();
    const claimed = await store.reviews.updateIf(
      id,
      {
        tenantId: reviewer.tenantId,
        $or: [
          { status: 'pending' },
          { status: 'claimed', leaseExpiresAt: { $lte: now } },
          { status: 'claimed', claimedBy: reviewer.subject },
        ],
      },
      { status: 'claimed', claimedBy: reviewer.subject, leaseExpiresAt: now + leaseMs, updatedAt: now },
    );
    if (claimed) return claimed;

    const current = await loadReview(store, reviewer.tenantId, id);
    if (current.status === 'decided') throw alreadyDecided(id);
    const leaseLive = current.status === 'claimed' && (current.leaseExpiresAt ?? 0) > store.now();
    if (leaseLive && current.claimedBy !== reviewer.subject) {
      throw conflict(
        `review ${id} is claimed by ${current.claimedBy} until ${new Date(current.leaseExpiresAt ?? 0).toISOString()}`,
        ReviewErrorCode.alreadyClaimed,
      );
    }
  }
  throw conflict(`review ${id} changed while it was being claimed; try again`, ReviewErrorCode.contended);
}

/** The claimant gives the item back to the queue. */
export async function releaseReview(store: ReviewStore, reviewer: Reviewer, id: string): Promise<ReviewItem> {
  const now = store.now();
  const released = await store.reviews.updateIf(
    id,
    { tenantId: reviewer.tenantId, status: 'claimed', claimedBy: reviewer.subject },
    { status: 'pending', claimedBy: null, leaseExpiresAt: null, updatedAt: now },
  );
  if (released) return released;
  const current = await loadReview(store, reviewer.tenantId, id);
  if (current.status === 'decided') throw alreadyDecided(id);
  throw conflict(`review ${id} is not claimed by you`, ReviewErrorCode.leaseNotHeld);
}
