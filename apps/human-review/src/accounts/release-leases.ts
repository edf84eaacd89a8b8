/**
 * Signing out gives back everything the person holds: each item they hold a lease on goes back to
 * the queue at once instead of waiting for the lease to run out. One conditional update per item,
 * on the holder and the status, so that an item claimed or decided in between is left as it is.
 */
import { type AuditLog, recordAudit } from '../audit/audit-log.js';
import type { ReviewStore } from '../reviews/review-store.js';

const PAGE = 200;

export async function releaseLeasesOf(
  deps: Pick<ReviewStore, 'reviews' | 'now'> & { audit: AuditLog },
  holder: { tenantId: string; name: string },
  why: string,
): Promise<string[]> {
  const held = { tenantId: holder.tenantId, status: 'claimed', claimedBy: holder.name };
  const released: string[] = [];
  // Released items leave the filter, so the first page is read again until it is empty.
  for (;;) {
    const page = await deps.reviews.find({ where: held, limit: PAGE });
    let progressed = false;
    for (const item of page.items) {
      const now = deps.now();
      const done = await deps.reviews.updateIf(item.id, held, {
        status: 'pending',
        claimedBy: null,
        leaseExpiresAt: null,
        updatedAt: now,
      });
      if (!done) continue;
      progressed = true;
      released.push(item.id);
      await recordAudit(
        deps.audit,
        {
          tenantId: holder.tenantId,
          actor: holder.name,
          action: 'review.released',
          reviewId: item.id,
          detail: { why },
        },
        now,
      );
    }
    if (page.items.length < PAGE || !progressed) return released;
  }
}
