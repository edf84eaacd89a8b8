/**
 * Duplicate requests: besides its review id, an item is unique by (tenant, request id, reason),
 * so that the same answer flagged twice for the same reason (a redelivered evaluation with a new
 * review id) queues once. The key is a document of its own (collection `review_request_keys`,
 * its id the unique key) written before the item: a unique index on the items themselves could
 * not be built over the items stored before it, some of which may repeat a key.
 */
import { type Collection, type CollectionOptions, DuplicateKeyError } from '@keel/doc-store';

export const REQUEST_KEYS_COLLECTION = 'review_request_keys';
export const requestKeysCollectionOptions: CollectionOptions = {};

export type RequestKey = { id: string; tenantId: string; reviewId: string; createdAt: number };

export function requestKeyOf(tenantId: string, requestId: string, reason: string): string {
  return `${tenantId.length}:${tenantId}:${requestId.length}:${requestId}:${reason}`;
}

/**
 * Claims the key for `reviewId`: null when it is this item's, else the id of the item that holds
 * it (a duplicate). A key whose item was never stored (a stop between the two writes) is taken
 * over, so the request is not lost.
 */
export async function claimRequestKey(
  keys: Collection<RequestKey>,
  reviews: { get(id: string): Promise<unknown> },
  key: Omit<RequestKey, 'id'> & { requestId: string; reason: string },
): Promise<string | null> {
  const id = requestKeyOf(key.tenantId, key.requestId, key.reason);
  try {
    await keys.insert({ id, tenantId: key.tenantId, reviewId: key.reviewId, createdAt: key.createdAt });
    return null;
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
  }
  const holder = await keys.get(id);
  if (!holder || holder.reviewId === key.reviewId) return null;
  if ((await reviews.get(holder.reviewId)) !== null) return holder.reviewId;
  if (await keys.updateIf(id, { reviewId: holder.reviewId }, { reviewId: key.reviewId })) return null;
  // Another request took it over first: that one is the item.
  const now = await keys.get(id);
  return now && now.reviewId !== key.reviewId ? now.reviewId : null;
}
