/** What the review use cases share: the collections, a clock, and access-checked reads. */
import type { Collection, Filter } from '@keel/doc-store';
import { canRead } from '@keel/platform';
import type { RequestKey } from '../queues/request-keys.js';
import type { QueueRecord } from '../queues/review-queue.js';
import type { EscalatedExchange } from './escalated-exchange.js';
import { reviewNotFound } from './review-errors.js';
import type { ReviewItem } from './review-item.js';
import type { Reader } from './reviewer.js';

export interface ReviewStore {
  reviews: Collection<ReviewItem>;
  /** The exchanges of escalated answers, kept to complete the review items policy asked for. */
  exchanges: Collection<EscalatedExchange>;
  /** Epoch milliseconds; tests pin it. */
  now: () => number;
  /**
   * The tenant's queues (src/queues/): new items are routed into one, decisions checked against
   * its rubric. The service always has them; without them items queue as they did before queues.
   */
  queues?: Collection<QueueRecord>;
  /** (tenant, request id, reason) keys, so a request flagged twice for one reason queues once. */
  requestKeys?: Collection<RequestKey>;
}

/** True when the reader may see the item: same tenant, and every read requirement met. */
export function readableBy(reader: Reader, item: ReviewItem): boolean {
  return item.tenantId === reader.tenantId && canRead(reader.aclGroups, item.readRequires);
}

/**
 * The item, if it exists and the reader may read it; otherwise a 404. Another tenant's item and
 * one the reader's groups do not open are reported exactly like a missing one: ids reveal nothing.
 */
export async function loadReview(store: ReviewStore, reader: Reader, id: string): Promise<ReviewItem> {
  const item = await store.reviews.get(id);
  if (!item || !readableBy(reader, item)) throw reviewNotFound(id);
  return item;
}

/**
 * The condition every write on behalf of a reader carries: the item is still the tenant's and its
 * read requirements are those the reader was checked against (null also matches items stored
 * before requirements were kept).
 */
export function accessUnchanged(item: ReviewItem): Filter {
  return { tenantId: item.tenantId, readRequiresKey: item.readRequiresKey ?? null };
}
