/**
 * Getting a lost lease back. Reloading an item page sends a keepalive release on `pagehide`, and
 * nothing orders it before the reloaded page's own read: the page can show the item as held while
 * the release lands just after, and its next action is refused with 409 `REVIEW.LEASE_NOT_HELD`.
 * The item is then pending again, so claiming it and retrying the action once is what the reviewer
 * meant. A claim is atomic on the service (pending, expired or already ours), so it is the check
 * "nobody else holds it" too: when someone else does, it answers 409 `REVIEW.ALREADY_CLAIMED`.
 */
import { type ApiClient, ApiError } from '../api/client';
import type { ReviewItem } from '../api/types';

export const LEASE_NOT_HELD = 'REVIEW.LEASE_NOT_HELD';
export const ALREADY_CLAIMED = 'REVIEW.ALREADY_CLAIMED';

export const isLeaseNotHeld = (error: unknown): error is ApiError =>
  error instanceof ApiError && error.status === 409 && error.code === LEASE_NOT_HELD;

export const isClaimedElsewhere = (error: unknown): boolean =>
  error instanceof ApiError &&
  error.status === 409 &&
  (error.code === ALREADY_CLAIMED || error.code === LEASE_NOT_HELD);

/** Someone else holds the item: `item` is it as read just now (null when that read failed too). */
export class HeldElsewhereError extends Error {
  constructor(
    readonly item: ReviewItem | null,
    readonly refusal: ApiError,
  ) {
    const holder = item?.status === 'claimed' ? item.claimedBy : null;
    super(holder ? `${holder} holds this item now.` : `Someone else holds this item now: ${refusal.message}`);
    this.name = 'HeldElsewhereError';
  }
}

/**
 * Claims `id` again after its lease was lost. Resolves with the claimed item; rejects with
 * HeldElsewhereError when another reviewer holds it (the item re-read, so the page can say who),
 * or with the claim's own error (decided meanwhile: 409 `REVIEW.ALREADY_DECIDED`, a network error).
 */
export async function reclaim(api: ApiClient, id: string): Promise<ReviewItem> {
  try {
    return await api.claim(id);
  } catch (failure) {
    if (!(failure instanceof ApiError) || !isClaimedElsewhere(failure)) throw failure;
    const current = await api.getReview(id).catch(() => null);
    throw new HeldElsewhereError(current, failure);
  }
}

/**
 * Runs an action that needs the lease. On 409 `REVIEW.LEASE_NOT_HELD` it claims the item again
 * (`onReclaimed` hears of the new lease) and retries exactly once; a second refusal is the caller's.
 */
export async function withLease<T>(
  api: ApiClient,
  id: string,
  action: () => Promise<T>,
  onReclaimed: (item: ReviewItem) => void,
): Promise<T> {
  try {
    return await action();
  } catch (failure) {
    if (!isLeaseNotHeld(failure)) throw failure;
    onReclaimed(await reclaim(api, id));
    return action();
  }
}
