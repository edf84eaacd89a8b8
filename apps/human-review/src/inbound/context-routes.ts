/**
 * What a reviewer reads beside an item: the context of its answer (scores, claim verdicts, policy
 * findings, from the events this service consumes) and the answer's lineage (evaluation's, proxied
 * with the tenant's credential). Both load the item first with the same check as
 * `GET /v1/reviews/:id`, so what the caller may not read is the same 404 `REVIEW.NOT_FOUND`.
 *
 * Mounted behind the router that authenticates `/v1` (http-routes.ts): the principal is already
 * on the response, and a route reached without one fails closed (principalOf throws).
 */
import { asyncRoute, parsePathParams, z } from '@keel/platform';
import express from 'express';
import { type ContextStore, loadAnswerContext } from '../context/answer-context.js';
import type { LineageClient } from '../context/lineage-client.js';
import { REVIEW_LIMITS } from '../reviews/review-limits.js';
import { loadReview, type ReviewStore } from '../reviews/review-store.js';
import { readerOf } from './reviewer-identity.js';

export interface ContextRoutesDeps extends ReviewStore {
  context: ContextStore;
  lineage: LineageClient;
}

const params = z.object({
  id: z.string().min(1).max(REVIEW_LIMITS.idChars, `at most ${REVIEW_LIMITS.idChars} characters`),
});

export function contextRoutes(deps: ContextRoutesDeps): express.Router {
  const router = express.Router();

  router.get(
    '/v1/reviews/:id/context',
    asyncRoute(async (req, res) => {
      const reader = readerOf(res);
      const item = await loadReview(deps, reader, parsePathParams(params, req.params).id);
      res.json(await loadAnswerContext(deps.context, reader, item));
    }),
  );

  router.get(
    '/v1/reviews/:id/lineage',
    asyncRoute(async (req, res) => {
      const item = await loadReview(deps, readerOf(res), parsePathParams(params, req.params).id);
      res.json(await deps.lineage.answerLineage(item.tenantId, item.requestId));
    }),
  );

  return router;
}
