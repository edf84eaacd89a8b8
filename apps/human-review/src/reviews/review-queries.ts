/** Tenant-scoped listing of the queue. */
import type { Filter, Page } from '@keel/doc-store';
import { findPage } from '@keel/doc-store';
import type { ReviewItem, ReviewStatus } from './review-item.js';
import type { ReviewStore } from './review-store.js';

export interface ListReviewsQuery {
  /** Absent: every open item (pending or claimed). Statuses are as readers see them (review-item.ts). */
  status?: ReviewStatus;
  limit: number;
  cursor?: string;
}

function whereFor(tenantId: string, status: ReviewStatus | undefined, now: number): Filter {
  switch (status) {
    case undefined:
      return { tenantId, status: { $in: ['pending', 'claimed'] } };
    case 'pending':
      return { tenantId, $or: [{ status: 'pending' }, { status: 'claimed', leaseExpiresAt: { $lte: now } }] };
    case 'claimed':
      return { tenantId, status: 'claimed', leaseExpiresAt: { $gt: now } };
    case 'decided':
      return { tenantId, status: 'decided' };
  }
}

/** Open items oldest first (a queue is worked from its head); decided ones newest first. */
export function listReviews(store: ReviewStore, tenantId: string, query: ListReviewsQuery): Promise<Page<ReviewItem>> {
  return findPage(store.reviews, {
    where: whereFor(tenantId, query.status, store.now()),
    orderBy:
      query.status === 'decided' ? { field: 'updatedAt', direction: 'desc' } : { field: 'createdAt', direction: 'asc' },
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
}
