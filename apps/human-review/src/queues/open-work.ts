/** Opens the collections of queue work: queues, request keys (dedup) and comments. */
import type { DocumentStore } from '@keel/doc-store';
import { COMMENTS_COLLECTION, commentsCollectionOptions, type ReviewComment } from '../reviews/review-comments.js';
import { REQUEST_KEYS_COLLECTION, type RequestKey, requestKeysCollectionOptions } from './request-keys.js';
import { QUEUES_COLLECTION, type QueueRecord, queuesCollectionOptions } from './review-queue.js';

export async function openWorkCollections(store: DocumentStore) {
  return {
    queues: await store.collection<QueueRecord>(QUEUES_COLLECTION, queuesCollectionOptions),
    requestKeys: await store.collection<RequestKey>(REQUEST_KEYS_COLLECTION, requestKeysCollectionOptions),
    comments: await store.collection<ReviewComment>(COMMENTS_COLLECTION, commentsCollectionOptions),
  };
}
