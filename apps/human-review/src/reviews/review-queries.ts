/**
 * Listing the queue: the tenant's items, filtered by status in the query and by read access in
 * code (the query language cannot express "meets every requirement"), so an item the reader may
 * not read is left out as if it did not exist. A page may then be short and still have a
 * `nextCursor` (findVisiblePage).
 */
import type { Filter, Page } from '@keel/doc-store';
import { findVisiblePage, InvalidQueryError } from '@keel/doc-store';
import { validationError } from '@keel/platform';
import type { ReviewItem, ReviewStatus } from './review-item.js';
import { type ReviewStore, readableBy } from './review-store.js';
import type { Reader } from './reviewer.js';

export interface ListReviewsQuery {
  /** Absent: every open item (pending or claimed). Statuses are as readers see them (review-item.ts). */
  status?: ReviewStatus;
  /** Only this queue's items ("default" includes items from before queues, until they are adopted). */
  queueId?: string;
  reason?: string;
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
export async function listReviews(
  store: ReviewStore,
  reader: Reader,
  query: ListReviewsQuery,
): Promise<Page<ReviewItem>> {
  try {
    return await findVisiblePage(
      store.reviews,
      {
        where: {
          ...whereFor(reader.tenantId, query.status, store.now()),
          ...(query.queueId !== undefined ? { queueId: query.queueId } : {}),
          ...(query.reason !== undefined ? { reason: query.reason } : {}),
        },
        orderBy:
          query.status === 'decided'
            ? { field: 'updatedAt', direction: 'desc' }
            : { field: 'createdAt', direction: 'asc' },
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
      },
      { visible: (item) => readableBy(reader, item) },
    );
  } catch (error) {
    // A cursor the store did not issue, or issued for another status's order: the caller's mistake.
    if (error instanceof InvalidQueryError && query.cursor !== undefined) {
      throw validationError([{ field: 'cursor', message: 'not a cursor of this listing' }]);
    }
    throw error;
  }
}
