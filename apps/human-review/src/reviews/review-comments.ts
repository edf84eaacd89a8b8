/**
 * Comments on an item (collection `review_comments`): reviewers and leads talking about one
 * answer. Whoever may read the item may read and write its comments; nobody else learns it exists.
 */
import { randomUUID } from 'node:crypto';
import type { Collection, CollectionOptions } from '@keel/doc-store';
import { conflict } from '@keel/platform';
import { loadReview, type ReviewStore } from './review-store.js';
import type { Reader, Reviewer } from './reviewer.js';

export const COMMENTS_COLLECTION = 'review_comments';
export const commentsCollectionOptions: CollectionOptions = {
  indexes: [{ fields: ['tenantId', 'reviewId', 'createdAt'] }],
};

export const COMMENT_LIMITS = { textChars: 8_192, perItem: 500 } as const;

export type ReviewComment = {
  id: string;
  tenantId: string;
  reviewId: string;
  author: string;
  text: string;
  createdAt: number;
};

export interface CommentStore extends ReviewStore {
  comments: Collection<ReviewComment>;
}

/** The item's comments, oldest first (at most COMMENT_LIMITS.perItem exist). */
export async function listComments(store: CommentStore, reader: Reader, reviewId: string): Promise<ReviewComment[]> {
  await loadReview(store, reader, reviewId);
  const page = await store.comments.find({
    where: { tenantId: reader.tenantId, reviewId },
    orderBy: { field: 'createdAt', direction: 'asc' },
    limit: COMMENT_LIMITS.perItem,
  });
  return page.items;
}

export async function addComment(
  store: CommentStore,
  author: Reviewer,
  reviewId: string,
  text: string,
): Promise<ReviewComment> {
  await loadReview(store, author, reviewId);
  // A soft bound (two at once may both pass): it keeps an item's thread readable, not exact.
  if ((await store.comments.count({ tenantId: author.tenantId, reviewId })) >= COMMENT_LIMITS.perItem) {
    throw conflict(
      `review ${reviewId} has ${COMMENT_LIMITS.perItem} comments, the most it takes`,
      'REVIEW.TOO_MANY_COMMENTS',
    );
  }
  const comment: ReviewComment = {
    id: randomUUID(),
    tenantId: author.tenantId,
    reviewId,
    author: author.name,
    text,
    createdAt: store.now(),
  };
  await store.comments.insert(comment);
  return comment;
}
