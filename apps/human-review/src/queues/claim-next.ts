/**
 * Claim next: the head of a queue (or of all the tenant's queues) leased to the caller in one
 * conditional update. The head is the highest priority, then the earliest due time, then the
 * oldest item (`rank`), among open items the caller may read, has not decided already, and has
 * not skipped in the last hour. A candidate another reviewer takes first is passed over for the
 * next one, so concurrent callers each get a different item or nothing.
 */
import type { Filter } from '@keel/doc-store';
import { decisionsOf, type ReviewItem } from '../reviews/review-item.js';
import { accessUnchanged, type ReviewStore, readableBy } from '../reviews/review-store.js';
import type { Reviewer } from '../reviews/reviewer.js';

export const SKIP_WINDOW_MS = 60 * 60 * 1000;
const PAGE_SIZE = 50;
// An unreadable or skipped stretch longer than this many pages ends the search with "nothing due".
const MAX_PAGES = 20;

export interface ClaimNextOptions {
  /** Absent: across every queue of the tenant. */
  queueId?: string;
  leaseMs: number;
}

/** Whether claim next may offer `item` to `reviewer` now. */
export function eligibleFor(reviewer: Reviewer, item: ReviewItem, now: number): boolean {
  if (!readableBy(reviewer, item)) return false;
  if (decisionsOf(item).some((decision) => decision.reviewer === reviewer.name)) return false;
  return !(item.skips ?? []).some((skip) => skip.reviewer === reviewer.name && skip.at > now - SKIP_WINDOW_MS);
}

function openFilter(now: number): Filter[] {
  return [{ status: 'pending' }, { status: 'claimed', leaseExpiresAt: { $lte: now } }];
}

/** The claimed item, or null when nothing is due for this caller. */
export async function claimNext(
  store: ReviewStore,
  reviewer: Reviewer,
  options: ClaimNextOptions,
): Promise<ReviewItem | null> {
  const now = store.now();
  const where: Filter = {
    tenantId: reviewer.tenantId,
    ...(options.queueId !== undefined ? { queueId: options.queueId } : {}),
    $or: openFilter(now),
  };
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const found = await store.reviews.find({
      where,
      orderBy: { field: 'rank', direction: 'asc' },
      limit: PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    });
    for (const candidate of found.items) {
      if (!eligibleFor(reviewer, candidate, now)) continue;
      const claimed = await store.reviews.updateIf(
        candidate.id,
        { ...accessUnchanged(candidate), $or: openFilter(now) },
        { status: 'claimed', claimedBy: reviewer.name, leaseExpiresAt: now + options.leaseMs, updatedAt: now },
      );
      if (claimed) return claimed;
    }
    if (!found.nextCursor) return null;
    cursor = found.nextCursor;
  }
  return null;
}
