/**
 * Skipping: a reviewer passes an item on, with a reason. A held item is released; either way the
 * skip is remembered on the item (who, why, when) so that claim next leaves it to others for an
 * hour, and a lead sees why items linger.
 */
import { conflict } from '@keel/platform';
import { alreadyDecided, contended, ReviewErrorCode } from './review-errors.js';
import { effectiveStatus, type ReviewItem, type ReviewSkip } from './review-item.js';
import { accessUnchanged, loadReview, type ReviewStore } from './review-store.js';
import type { Reviewer } from './reviewer.js';

/** The skips an item keeps, newest last: enough for the skip window, bounded for the document. */
export const SKIPS_KEPT = 50;
export const SKIP_REASON_CHARS = 500;

const ATTEMPTS = 3;

export async function skipReview(
  store: ReviewStore,
  reviewer: Reviewer,
  id: string,
  reason: string,
): Promise<ReviewItem> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await loadReview(store, reviewer, id);
    if (current.status === 'decided') throw alreadyDecided(id, current.decision);
    const now = store.now();
    const holder = effectiveStatus(current, now) === 'claimed' ? current.claimedBy : null;
    if (holder !== null && holder !== reviewer.name) {
      throw conflict(`review ${id} is claimed by ${holder}; only its holder may skip it`, ReviewErrorCode.leaseNotHeld);
    }
    const skip: ReviewSkip = { reviewer: reviewer.name, reason, at: now };
    const skipped = await store.reviews.updateIf(
      id,
      // updatedAt as a version: two skips at once must not drop each other's entry.
      { ...accessUnchanged(current), status: current.status, updatedAt: current.updatedAt },
      {
        status: 'pending',
        claimedBy: null,
        leaseExpiresAt: null,
        skips: [...(current.skips ?? []), skip].slice(-SKIPS_KEPT),
        updatedAt: Math.max(now, current.updatedAt + 1),
      },
    );
    if (skipped) return skipped;
  }
  throw contended(id, 'skipped');
}
