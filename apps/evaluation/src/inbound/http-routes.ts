/**
 * The HTTP API: read evaluations and golden datasets, and score an answer offline (for CI of
 * prompt changes) without storing anything. Every read is scoped to the tenant of the caller's
 * API key and to what its ACL groups may read: another tenant's ids, and records derived from
 * chunks outside the caller's groups, answer 404 (never 403, so that ids do not leak) and are left
 * out of lists. Dataset listings hold complete examples unless `includeIncomplete=true`. Lineage
 * of an answer and retraining data follow the same rules.
 */
import type { Collection } from '@keel/doc-store';
import {
  type ApiKeyResolver,
  asyncRoute,
  parseBody,
  parsePathParams,
  parseQuery,
  principalOf,
  requireApiKey,
} from '@keel/platform';
import express from 'express';
import { listExamples } from '../datasets/dataset-queries.js';
import type { GoldenExample } from '../datasets/golden-example.js';
import { trainingDataLines } from '../datasets/training-export.js';
import type { EvaluationPolicy } from '../evaluations/evaluate-completed-inference.js';
import { getEvaluation, listEvaluations } from '../evaluations/evaluation-queries.js';
import type { EvaluationRecord } from '../evaluations/evaluation-record.js';
import { getAnswerLineage } from '../lineage/answer-lineage.js';
import type { LineageEntry } from '../lineage/lineage-entry.js';
import type { Scorer } from '../scoring/scoring-pool.js';
import { scoringRequestSchema } from '../scoring/scoring-request.js';
import {
  datasetParams,
  evaluationParams,
  listEvaluationsQuery,
  listExamplesQuery,
  trainingDataQuery,
} from './query-params.js';
import { streamLines } from './stream-lines.js';
import { evaluationView, exampleView } from './views.js';

export interface EvaluationRoutesDeps {
  evaluations: Collection<EvaluationRecord>;
  examples: Collection<GoldenExample>;
  lineage: Collection<LineageEntry>;
  policy: EvaluationPolicy;
  apiKeys: ApiKeyResolver;
  /** Scores `POST /v1/evaluations:score` off the event loop (the service's worker pool). */
  scorer: Scorer;
}

export function evaluationRoutes(deps: EvaluationRoutesDeps): express.Router {
  const router = express.Router();
  router.use('/v1', requireApiKey(deps.apiKeys));

  // Express 5 paths treat ':' as a parameter; the backslash makes it the literal of `:score`.
  // Inputs are bounded (400 naming the field over a limit); scoring runs on a worker thread, and
  // when every thread is busy and the queue is full the request gets 503 with Retry-After.
  router.post(
    '/v1/evaluations\\:score',
    asyncRoute(async (req, res) => {
      const body = parseBody(scoringRequestSchema, req.body);
      const scores = await deps.scorer.score(body, { claimThreshold: deps.policy.claimThreshold });
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
        truncated: scores.truncated,
      });
    }),
  );

  router.get(
    '/v1/evaluations',
    asyncRoute(async (req, res) => {
      const query = parseQuery(listEvaluationsQuery, req.query);
      const page = await listEvaluations(deps.evaluations, principalOf(res), {
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
      const { requestId } = parsePathParams(evaluationParams, req.params);
      const record = await getEvaluation(deps.evaluations, principalOf(res), requestId);
      res.json(evaluationView(record));
    }),
  );

  router.get(
    '/v1/datasets/:datasetId/examples',
    asyncRoute(async (req, res) => {
      const { datasetId } = parsePathParams(datasetParams, req.params);
      const query = parseQuery(listExamplesQuery, req.query);
      const page = await listExamples(deps.examples, principalOf(res), datasetId, {
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
        includeIncomplete: query.includeIncomplete === 'true',
      });
      res.json({ items: page.items.map(exampleView), nextCursor: page.nextCursor ?? null });
    }),
  );

  router.get(
    '/v1/datasets/:datasetId/training-data',
    asyncRoute(async (req, res) => {
      const { datasetId } = parsePathParams(datasetParams, req.params);
      const { kind } = parseQuery(trainingDataQuery, req.query);
      await streamLines(
        res,
        trainingDataLines(deps, principalOf(res), datasetId, kind),
        'application/x-ndjson',
        `${datasetId}-${kind}.jsonl`,
      );
    }),
  );

  router.get(
    '/v1/lineage/answers/:requestId',
    asyncRoute(async (req, res) => {
      const { requestId } = parsePathParams(evaluationParams, req.params);
      res.json(await getAnswerLineage(deps.lineage, principalOf(res), requestId));
    }),
  );

  return router;
}
