/** What the review use cases share: the collection, a clock, and tenant-checked reads. */
import type { Collection } from '@keel/doc-store';
import { reviewNotFound } from './review-errors.js';
import type { ReviewItem } from './review-item.js';

export interface ReviewStore {
  reviews: Collection<ReviewItem>;
  /** Epoch milliseconds; tests pin it. */
  now: () => number;
}

/** The item, if it exists and belongs to the tenant; otherwise a 404. */
export async function loadReview(store: ReviewStore, tenantId: string, id: string): Promise<ReviewItem> {
  const item = await store.reviews.get(id);
  if (!item || item.tenantId !== tenantId) throw reviewNotFound(id);
  return item;
}

/** Who acts on an item: the caller's tenant and, as reviewer, the subject of their principal. */
export interface Reviewer {
  tenantId: string;
  subject: string;
}
