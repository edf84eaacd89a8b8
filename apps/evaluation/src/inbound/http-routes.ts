/**
 * The HTTP API: read evaluations and golden datasets, and score an answer offline (for CI of
 * prompt changes) without storing anything. Every read is scoped to the tenant of the caller's
 * API key: another tenant's ids answer 404, never 403, so that ids do not leak across tenants.
 */
import type { Collection } from '@keel/doc-store';
import { type ApiKeyResolver, asyncRoute, parseBody, principalOf, requireApiKey, z } from '@keel/platform';
import express from 'express';
import { listExamples } from '../datasets/dataset-queries.js';
import type { GoldenExample } from '../datasets/golden-example.js';
import type { EvaluationPolicy } from '../evaluations/evaluate-completed-inference.js';
import { getEvaluation, listEvaluations } from '../evaluations/evaluation-queries.js';
import type { EvaluationRecord } from '../evaluations/evaluation-record.js';
import { scoreAnswer } from '../scoring/score-answer.js';
import { scoringRequestSchema } from '../scoring/scoring-request.js';
import { pageQuery, parseQuery } from './query-params.js';
import { evaluationView, exampleView } from './views.js';

const listEvaluationsQuery = pageQuery.extend({
  passed: z.enum(['true', 'false']).optional(),
});

export interface EvaluationRoutesDeps {
  evaluations: Collection<EvaluationRecord>;
  examples: Collection<GoldenExample>;
  policy: EvaluationPolicy;
  apiKeys: ApiKeyResolver;
}

export function evaluationRoutes(deps: EvaluationRoutesDeps): express.Router {
  const router = express.Router();
  router.use('/v1', requireApiKey(deps.apiKeys));

  // Express 5 paths treat ':' as a parameter; the backslash makes it the literal of `:score`.
  router.post(
    '/v1/evaluations\\:score',
    asyncRoute(async (req, res) => {
      const body = parseBody(scoringRequestSchema, req.body);
      const scores = scoreAnswer(body, { claimThreshold: deps.policy.claimThreshold });
      res.json({
        groundedness: scores.groundedness,
        citationCoverage: scores.citationCoverage,
        threshold: deps.policy.reviewThreshold,
        passed: scores.groundedness >= deps.policy.reviewThreshold,
        abstained: scores.abstained,
        scores: scores.metrics,
        verdicts: scores.verdicts,
        claimThreshold: scores.claimThreshold,
        evaluatorVersion: scores.evaluatorVersion,
      });
    }),
  );

  router.get(
    '/v1/evaluations',
    asyncRoute(async (req, res) => {
      const query = parseQuery(listEvaluationsQuery, req.query);
      const page = await listEvaluations(deps.evaluations, principalOf(res).tenantId, {
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
        ...(query.passed ? { passed: query.passed === 'true' } : {}),
      });
      res.json({ items: page.items.map(evaluationView), nextCursor: page.nextCursor ?? null });
    }),
  );

  router.get(
    '/v1/evaluations/:requestId',
    asyncRoute(async (req, res) => {
      const record = await getEvaluation(deps.evaluations, principalOf(res).tenantId, String(req.params.requestId));
      res.json(evaluationView(record));
    }),
  );

  router.get(
    '/v1/datasets/:datasetId/examples',
    asyncRoute(async (req, res) => {
      const query = parseQuery(pageQuery, req.query);
      const page = await listExamples(deps.examples, principalOf(res).tenantId, String(req.params.datasetId), {
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      res.json({ items: page.items.map(exampleView), nextCursor: page.nextCursor ?? null });
    }),
  );

  return router;
}
