/**
 * The reviewers' HTTP API, and everything a review console needs: list the queue, read an item,
 * claim it (a lease), release it, decide it. The caller's API key names the tenant, the ACL groups
 * (what restricted items it may read) and, for claims and decisions, the reviewer
 * (reviewer-identity.ts). Another tenant's item and one the caller may not read answer 404, never
 * 403, so that ids do not leak; listings leave them out.
 */
import {
  type ApiKeyResolver,
  asyncRoute,
  parseBody,
  parseQuery,
  problemContentType,
  requireApiKey,
  toProblemDetails,
  z,
} from '@keel/platform';
import express from 'express';
import { type AuditLog, recordAudit } from '../audit/audit-log.js';
import { queueIdSchema, rubricAnswersSchema } from '../queues/queue-schema.js';
import { DEFAULT_QUEUE_ID } from '../queues/review-queue.js';
import { breachIfDue } from '../queues/sla-sweep.js';
import { claimReview, releaseReview } from '../reviews/claim-review.js';
import { decideReview } from '../reviews/decide-review.js';
import { AlreadyDecidedError } from '../reviews/review-errors.js';
import { isBlank, MAX_LEASE_SECONDS, REVIEW_REASON_NAMES, type ReviewItem } from '../reviews/review-item.js';
import { HTTP_LIMITS } from '../reviews/review-limits.js';
import { listReviews } from '../reviews/review-queries.js';
import { loadReview } from '../reviews/review-store.js';
import { queueRoutes } from './queue-routes.js';
import { decisionView, reviewView } from './review-view.js';
import { readerOf, reviewerOf } from './reviewer-identity.js';
import { reviewIdOf } from './route-params.js';
import { type WorkRoutesDeps, workRoutes } from './work-routes.js';

export const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;

const text = (limit: number) => z.string().max(limit, `at most ${limit} characters`);

const listQuery = z.object({
  status: z.enum(['pending', 'claimed', 'decided']).optional(),
  queueId: queueIdSchema.optional(),
  reason: z.enum(REVIEW_REASON_NAMES).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: text(HTTP_LIMITS.cursorChars).min(1).optional(),
});

const claimBody = z.object({
  leaseSeconds: z.number().int().min(1).max(MAX_LEASE_SECONDS).optional(),
});

export const decisionBody = z
  .object({
    outcome: z.enum(['approved', 'rejected', 'corrected']),
    correctedAnswer: text(HTTP_LIMITS.correctedAnswerChars).optional(),
    comment: text(HTTP_LIMITS.commentChars).optional(),
    // Checked against the item's queue rubric (400 naming `rubric.scores.<key>`).
    rubric: rubricAnswersSchema.optional(),
  })
  .superRefine((body, context) => {
    const corrected = body.correctedAnswer !== undefined && !isBlank(body.correctedAnswer);
    if (body.outcome === 'corrected' && !corrected) {
      context.addIssue({ code: 'custom', path: ['correctedAnswer'], message: 'is required when outcome is corrected' });
    }
    if (body.outcome !== 'corrected' && body.correctedAnswer !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['correctedAnswer'],
        message: 'is only allowed when outcome is corrected',
      });
    }
  });

export type ReviewRoutesDeps = WorkRoutesDeps & {
  apiKeys: ApiKeyResolver;
  /**
   * The /v1 guard: a console session or an API key (inbound/authenticate.ts). Without it, API
   * keys only.
   */
  authenticate?: express.RequestHandler;
  leaseSeconds: number;
  /** Where claims, releases and decisions are recorded for leads to read. */
  audit: AuditLog;
};

export function reviewRoutes(deps: ReviewRoutesDeps): express.Router {
  const router = express.Router();
  router.use('/v1', deps.authenticate ?? requireApiKey(deps.apiKeys));
  // Audited actions: who did what to which item, for leads (GET /v1/audit).
  const audited = (actor: string, action: string, item: ReviewItem, detail?: Record<string, unknown>) =>
    recordAudit(
      deps.audit,
      {
        tenantId: item.tenantId,
        actor,
        action,
        reviewId: item.id,
        queueId: item.queueId ?? DEFAULT_QUEUE_ID,
        ...(detail ? { detail } : {}),
      },
      deps.now(),
    );
  // Before `/v1/reviews/:id`: `/v1/reviews:claim-next` and `:bulk` are their own routes.
  router.use(workRoutes(deps));
  router.use(queueRoutes(deps));

  router.get(
    '/v1/reviews',
    asyncRoute(async (req, res) => {
      const query = parseQuery(listQuery, req.query);
      const page = await listReviews(deps, readerOf(res), {
        limit: query.limit,
        ...(query.status ? { status: query.status } : {}),
        ...(query.queueId ? { queueId: query.queueId } : {}),
        ...(query.reason ? { reason: query.reason } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      const now = deps.now();
      res.json({ items: page.items.map((item) => reviewView(item, now)), nextCursor: page.nextCursor ?? null });
    }),
  );

  router.get(
    '/v1/reviews/:id',
    asyncRoute(async (req, res) => {
      // The check on read: an open item past due is marked breached now, not at the next sweep.
      const item = await breachIfDue(deps, await loadReview(deps, readerOf(res), reviewIdOf(req)));
      res.json(reviewView(item, deps.now()));
    }),
  );

  router.post(
    '/v1/reviews/:id/claim',
    asyncRoute(async (req, res) => {
      const reviewer = reviewerOf(res);
      const id = reviewIdOf(req);
      // The body is optional: a bare POST claims with the default lease.
      const body = parseBody(claimBody, req.body ?? {});
      const leaseMs = (body.leaseSeconds ?? deps.leaseSeconds) * 1000;
      const before = await loadReview(deps, reviewer, id);
      const item = await claimReview(deps, reviewer, id, leaseMs);
      // A renewal (the holder claiming again) is not recorded: the console renews every few minutes.
      const renewal =
        before.status === 'claimed' && before.claimedBy === reviewer.name && (before.leaseExpiresAt ?? 0) > deps.now();
      if (!renewal) await audited(reviewer.name, 'review.claimed', item);
      res.json(reviewView(item, deps.now()));
    }),
  );

  router.post(
    '/v1/reviews/:id/release',
    asyncRoute(async (req, res) => {
      const reviewer = reviewerOf(res);
      const item = await releaseReview(deps, reviewer, reviewIdOf(req));
      await audited(reviewer.name, 'review.released', item);
      res.json(reviewView(item, deps.now()));
    }),
  );

  router.post(
    '/v1/reviews/:id/decision',
    asyncRoute(async (req, res) => {
      const reviewer = reviewerOf(res);
      const id = reviewIdOf(req);
      const body = parseBody(decisionBody, req.body);
      // 200 for the first decision and for an identical repeat alike: the client's retry is safe.
      const { item, created } = await decideReview(deps, reviewer, id, {
        outcome: body.outcome,
        ...(body.correctedAnswer !== undefined ? { correctedAnswer: body.correctedAnswer } : {}),
        ...(body.comment !== undefined ? { comment: body.comment } : {}),
        ...(body.rubric !== undefined ? { rubric: body.rubric } : {}),
      });
      if (created) {
        await audited(reviewer.name, 'review.decided', item, {
          outcome: body.outcome,
          // With several reviewers per item, only the last one's decision makes it stand.
          final: item.status === 'decided',
        });
      }
      res.json(reviewView(item, deps.now()));
    }),
  );

  // A decision that lost to another: the 409 carries the decision that stands, so nothing is lost.
  router.use((error: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (!(error instanceof AlreadyDecidedError) || res.headersSent) {
      next(error);
      return;
    }
    const problem = toProblemDetails(error, req.originalUrl.split('?')[0] ?? req.path);
    res
      .status(problem.status)
      .type(problemContentType)
      .send(JSON.stringify({ ...problem, decision: error.decision ? decisionView(error.decision) : null }));
  });

  return router;
}
