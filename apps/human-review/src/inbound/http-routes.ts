/**
 * The reviewers' HTTP API, and everything a review console needs: list the queue, read an item,
 * claim it (a lease), release it, decide it. The caller's API key names the tenant, the ACL groups
 * (what restricted items it may read) and, for claims and decisions, the reviewer
 * (reviewer-identity.ts). Another tenant's item and one the caller may not read answer 404, never
 * 403, so that ids do not leak; listings leave them out.
 */
import { type ApiKeyResolver, asyncRoute, parseBody, requireApiKey, validationError, z } from '@keel/platform';
import express from 'express';
import type { AuditLog } from '../audit/audit-log.js';
import { claimReview, releaseReview } from '../reviews/claim-review.js';
import { type DecideDeps, decideReview } from '../reviews/decide-review.js';
import { isBlank, MAX_LEASE_SECONDS } from '../reviews/review-item.js';
import { HTTP_LIMITS, REVIEW_LIMITS } from '../reviews/review-limits.js';
import { listReviews } from '../reviews/review-queries.js';
import { loadReview } from '../reviews/review-store.js';
import { reviewView } from './review-view.js';
import { readerOf, reviewerOf } from './reviewer-identity.js';

export const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;

const text = (limit: number) => z.string().max(limit, `at most ${limit} characters`);

const listQuery = z.object({
  status: z.enum(['pending', 'claimed', 'decided']).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: text(HTTP_LIMITS.cursorChars).min(1).optional(),
});

const idParam = text(REVIEW_LIMITS.idChars).min(1);

const claimBody = z.object({
  leaseSeconds: z.number().int().min(1).max(MAX_LEASE_SECONDS).optional(),
});

export const decisionBody = z
  .object({
    outcome: z.enum(['approved', 'rejected', 'corrected']),
    correctedAnswer: text(HTTP_LIMITS.correctedAnswerChars).optional(),
    comment: text(HTTP_LIMITS.commentChars).optional(),
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

function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  throw validationError(
    result.error.issues.map((issue) => ({
      field: issue.path.map(String).join('.') || '(query)',
      message: issue.message,
    })),
  );
}

/** The `:id` of a route: a review id is at most REVIEW_LIMITS.idChars long (longer ones are never stored). */
function idOf(req: express.Request): string {
  const result = idParam.safeParse(req.params.id);
  if (result.success) return result.data;
  throw validationError([{ field: 'id', message: result.error.issues[0]?.message ?? 'invalid' }]);
}

export interface ReviewRoutesDeps extends DecideDeps {
  apiKeys: ApiKeyResolver;
  leaseSeconds: number;
  /** Where claims, releases and decisions are recorded for leads to read. */
  audit: AuditLog;
}

export function reviewRoutes(deps: ReviewRoutesDeps): express.Router {
  const router = express.Router();
  router.use('/v1', requireApiKey(deps.apiKeys));

  router.get(
    '/v1/reviews',
    asyncRoute(async (req, res) => {
      const query = parseQuery(listQuery, req.query);
      const page = await listReviews(deps, readerOf(res), {
        limit: query.limit,
        ...(query.status ? { status: query.status } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      const now = deps.now();
      res.json({ items: page.items.map((item) => reviewView(item, now)), nextCursor: page.nextCursor ?? null });
    }),
  );

  router.get(
    '/v1/reviews/:id',
    asyncRoute(async (req, res) => {
      const item = await loadReview(deps, readerOf(res), idOf(req));
      res.json(reviewView(item, deps.now()));
    }),
  );

  router.post(
    '/v1/reviews/:id/claim',
    asyncRoute(async (req, res) => {
      const reviewer = reviewerOf(res);
      const id = idOf(req);
      // The body is optional: a bare POST claims with the default lease.
      const body = parseBody(claimBody, req.body ?? {});
      const leaseMs = (body.leaseSeconds ?? deps.leaseSeconds) * 1000;
      const item = await claimReview(deps, reviewer, id, leaseMs);
      res.json(reviewView(item, deps.now()));
    }),
  );

  router.post(
    '/v1/reviews/:id/release',
    asyncRoute(async (req, res) => {
      const item = await releaseReview(deps, reviewerOf(res), idOf(req));
      res.json(reviewView(item, deps.now()));
    }),
  );

  router.post(
    '/v1/reviews/:id/decision',
    asyncRoute(async (req, res) => {
      const reviewer = reviewerOf(res);
      const id = idOf(req);
      const body = parseBody(decisionBody, req.body);
      // 200 for the first decision and for an identical repeat alike: the client's retry is safe.
      const { item } = await decideReview(deps, reviewer, id, {
        outcome: body.outcome,
        ...(body.correctedAnswer !== undefined ? { correctedAnswer: body.correctedAnswer } : {}),
        ...(body.comment !== undefined ? { comment: body.comment } : {}),
      });
      res.json(reviewView(item, deps.now()));
    }),
  );

  return router;
}
