/**
 * A reviewer's work beyond one item's lease: claim the next item across queues, skip with a
 * reason, comment, see their progress; and a lead's bulk actions on a filtered selection.
 */
import { asyncRoute, parseBody, z } from '@keel/platform';
import express from 'express';
import { recordAudit } from '../audit/audit-log.js';
import { BULK_LIMITS, runBulkAction } from '../queues/bulk-actions.js';
import { queueIdSchema } from '../queues/queue-schema.js';
import { progressOf } from '../queues/queue-work.js';
import { DEFAULT_QUEUE_ID } from '../queues/review-queue.js';
import type { DecideDeps } from '../reviews/decide-review.js';
import { addComment, COMMENT_LIMITS, type CommentStore, listComments } from '../reviews/review-comments.js';
import { MAX_LEASE_SECONDS, REVIEW_REASON_NAMES } from '../reviews/review-item.js';
import { HTTP_LIMITS, REVIEW_LIMITS } from '../reviews/review-limits.js';
import { SKIP_REASON_CHARS, skipReview } from '../reviews/skip-review.js';
import { claimNextFor, type QueueRoutesDeps } from './queue-routes.js';
import { reviewView } from './review-view.js';
import { readerOf, requireRole, reviewerOf } from './reviewer-identity.js';
import { reviewIdOf } from './route-params.js';

export type WorkRoutesDeps = QueueRoutesDeps & CommentStore & DecideDeps;

const text = (limit: number) => z.string().max(limit, `at most ${limit} characters`);
/** At least one visible character. */
const filled = (limit: number) => text(limit).refine((value) => value.trim().length > 0, 'must not be empty');

const claimNextAcross = z.object({
  queueId: queueIdSchema.optional(),
  leaseSeconds: z.number().int().min(1).max(MAX_LEASE_SECONDS).optional(),
});
const skipBody = z.object({ reason: filled(SKIP_REASON_CHARS) });
const commentBody = z.object({ text: filled(COMMENT_LIMITS.textChars) });

const bulkBody = z
  .object({
    filter: z.object({
      queueId: queueIdSchema.optional(),
      status: z.enum(['pending', 'claimed', 'decided']).optional(),
      reason: z.enum(REVIEW_REASON_NAMES).optional(),
      ids: z.array(text(REVIEW_LIMITS.idChars).min(1)).min(1).max(BULK_LIMITS.ids).optional(),
    }),
    action: z.enum(['release', 'set-priority', 'move', 'reject']),
    priority: z.number().int().min(0).max(100).optional(),
    queueId: queueIdSchema.optional(),
    comment: text(HTTP_LIMITS.commentChars).optional(),
    expectedCount: z.number().int().min(0).max(BULK_LIMITS.matched),
  })
  .superRefine((body, context) => {
    if (body.action === 'set-priority' && body.priority === undefined) {
      context.addIssue({ code: 'custom', path: ['priority'], message: 'is required for set-priority' });
    }
    if (body.action === 'move' && body.queueId === undefined) {
      context.addIssue({ code: 'custom', path: ['queueId'], message: 'is required for move' });
    }
  });

export function workRoutes(deps: WorkRoutesDeps): express.Router {
  const router = express.Router();

  router.post(
    '/v1/reviews\\:claim-next',
    asyncRoute(async (req, res) => {
      const body = parseBody(claimNextAcross, req.body ?? {});
      await claimNextFor(deps, res, {
        ...(body.queueId !== undefined ? { queueId: body.queueId } : {}),
        ...(body.leaseSeconds !== undefined ? { leaseSeconds: body.leaseSeconds } : {}),
      });
    }),
  );

  router.post(
    '/v1/reviews\\:bulk',
    asyncRoute(async (req, res) => {
      const lead = requireRole(res, 'lead');
      const body = parseBody(bulkBody, req.body);
      const filter = {
        ...(body.filter.queueId !== undefined ? { queueId: body.filter.queueId } : {}),
        ...(body.filter.status !== undefined ? { status: body.filter.status } : {}),
        ...(body.filter.reason !== undefined ? { reason: body.filter.reason } : {}),
        ...(body.filter.ids !== undefined ? { ids: body.filter.ids } : {}),
      };
      const result = await runBulkAction(deps, lead, {
        filter,
        action: body.action,
        expectedCount: body.expectedCount,
        ...(body.priority !== undefined ? { priority: body.priority } : {}),
        ...(body.queueId !== undefined ? { queueId: body.queueId } : {}),
        ...(body.comment !== undefined ? { comment: body.comment } : {}),
      });
      await recordAudit(
        deps.audit,
        {
          tenantId: lead.tenantId,
          actor: lead.name,
          action: 'reviews.bulk',
          ...(body.filter.queueId !== undefined ? { queueId: body.filter.queueId } : {}),
          detail: {
            action: body.action,
            filter,
            matched: result.matched,
            changed: result.changed,
            changedIds: result.changedIds,
            ...(body.priority !== undefined ? { priority: body.priority } : {}),
            ...(body.queueId !== undefined ? { toQueueId: body.queueId } : {}),
          },
        },
        deps.now(),
      );
      res.json({ matched: result.matched, changed: result.changed });
    }),
  );

  router.post(
    '/v1/reviews/:id/skip',
    asyncRoute(async (req, res) => {
      const reviewer = reviewerOf(res);
      const id = reviewIdOf(req);
      const { reason } = parseBody(skipBody, req.body);
      const item = await skipReview(deps, reviewer, id, reason);
      await recordAudit(
        deps.audit,
        {
          tenantId: item.tenantId,
          actor: reviewer.name,
          action: 'review.skipped',
          reviewId: id,
          queueId: item.queueId ?? DEFAULT_QUEUE_ID,
          detail: { reason },
        },
        deps.now(),
      );
      res.json(reviewView(item, deps.now()));
    }),
  );

  router.get(
    '/v1/reviews/:id/comments',
    asyncRoute(async (req, res) => {
      const comments = await listComments(deps, readerOf(res), reviewIdOf(req));
      res.json({ items: comments.map(commentView) });
    }),
  );

  router.post(
    '/v1/reviews/:id/comments',
    asyncRoute(async (req, res) => {
      const author = reviewerOf(res);
      const id = reviewIdOf(req);
      const { text: body } = parseBody(commentBody, req.body);
      const comment = await addComment(deps, author, id, body);
      await recordAudit(
        deps.audit,
        {
          tenantId: author.tenantId,
          actor: author.name,
          action: 'review.commented',
          reviewId: id,
          detail: { commentId: comment.id },
        },
        deps.now(),
      );
      res.status(201).json(commentView(comment));
    }),
  );

  router.get(
    '/v1/me/progress',
    asyncRoute(async (_req, res) => {
      res.json(await progressOf(deps, reviewerOf(res)));
    }),
  );

  return router;
}

function commentView(comment: { id: string; author: string; text: string; createdAt: number }) {
  return {
    id: comment.id,
    author: comment.author,
    text: comment.text,
    createdAt: new Date(comment.createdAt).toISOString(),
  };
}
