/**
 * Claiming and releasing: a claim is a lease, taken atomically with the store's conditional
 * update so two reviewers can never both hold one item. A lease that ran out may be taken by
 * anyone; the holder re-claiming extends it. Only a reviewer who may read the item may claim or
 * release it: the access check and the write agree through `accessUnchanged`.
 */
import { conflict } from '@keel/platform';
import { alreadyDecided, contended, ReviewErrorCode } from './review-errors.js';
import { decisionsOf, type ReviewItem } from './review-item.js';
import { accessUnchanged, loadReview, type ReviewStore } from './review-store.js';
import type { Reviewer } from './reviewer.js';

// Between the read and the conditional update the item can change (a lease ends, a release, an
// exchange completes it); the claim is then simply tried again, a bounded number of times.
const ATTEMPTS = 3;

export async function claimReview(
  store: ReviewStore,
  reviewer: Reviewer,
  id: string,
  leaseMs: number,
): Promise<ReviewItem> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await loadReview(store, reviewer, id);
    if (current.status === 'decided') throw alreadyDecided(id, current.decision);
    // Several reviewers per item: each decides once, and their own decision is what they see.
    const mine = decisionsOf(current).find((decision) => decision.reviewer === reviewer.name);
    if (mine) throw alreadyDecided(id, mine, 'was already decided by you; other reviewers decide it next');
    const now = store.now();
    const leaseLive = current.status === 'claimed' && (current.leaseExpiresAt ?? 0) > now;
    if (leaseLive && current.claimedBy !== reviewer.name) {
      throw conflict(
        `review ${id} is claimed by ${current.claimedBy} until ${new Date(current.leaseExpiresAt ?? 0).toISOString()}`,
        ReviewErrorCode.alreadyClaimed,
      );
    }
    const claimed = await store.reviews.updateIf(
      id,
      {
        ...accessUnchanged(current),
        $or: [
          { status: 'pending' },
          { status: 'claimed', leaseExpiresAt: { $lte: now } },
          { status: 'claimed', claimedBy: reviewer.name },
        ],
      },
      { status: 'claimed', claimedBy: reviewer.name, leaseExpiresAt: now + leaseMs, updatedAt: now },
    );
    if (claimed) return claimed;
  }
  throw contended(id, 'claimed');
}

/** The claimant gives the item back to the queue. */
export async function releaseReview(store: ReviewStore, reviewer: Reviewer, id: string): Promise<ReviewItem> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await loadReview(store, reviewer, id);
    if (current.status === 'decided') throw alreadyDecided(id, current.decision);
    if (current.status !== 'claimed' || current.claimedBy !== reviewer.name) {
      throw conflict(`review ${id} is not claimed by you`, ReviewErrorCode.leaseNotHeld);
    }
    const now = store.now();
    const released = await store.reviews.updateIf(
      id,
      { ...accessUnchanged(current), status: 'claimed', claimedBy: reviewer.name },
      { status: 'pending', claimedBy: null, leaseExpiresAt: null, updatedAt: now },
    );
    if (released) return released;
  }
  throw contended(id, 'released');
}
