/**
 * Offline runs over HTTP: `POST /v1/runs` records a run's summary (the `summary.json` of
 * `keel eval run`), `GET /v1/runs` lists the tenant's runs newest first (`?datasetId=` for one
 * data set's history), `GET /v1/runs/:id` returns one with its whole summary.
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
  z,
} from '@keel/platform';
import express from 'express';
import {
  getRun,
  listRuns,
  type RunRecord,
  recordRun,
  runListView,
  runSummarySchema,
  runView,
} from '../runs/run-record.js';
import { pageQuery } from './query-params.js';

export interface RunRoutesDeps {
  runs: Collection<RunRecord>;
  apiKeys: ApiKeyResolver;
  now?: () => number;
}

const listRunsQuery = pageQuery.extend({
  datasetId: z.string().min(1).max(256, 'at most 256 characters').optional(),
});
const runParams = z.object({ runId: z.string().min(1).max(64, 'at most 64 characters') });

export function runRoutes(deps: RunRoutesDeps): express.Router {
  const router = express.Router();
  const auth = requireApiKey(deps.apiKeys);

  router.post(
    '/v1/runs',
    auth,
    asyncRoute(async (req, res) => {
      const summary = parseBody(runSummarySchema, req.body);
      const principal = principalOf(res);
      const record = await recordRun(
        deps.runs,
        { tenantId: principal.tenantId, createdBy: principal.name ?? principal.subject },
        summary,
        deps.now,
      );
      res.status(201).location(`/v1/runs/${record.id}`).json(runListView(record));
    }),
  );

  router.get(
    '/v1/runs',
    auth,
    asyncRoute(async (req, res) => {
      const query = parseQuery(listRunsQuery, req.query);
      const page = await listRuns(deps.runs, principalOf(res).tenantId, {
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
        ...(query.datasetId ? { datasetId: query.datasetId } : {}),
      });
      res.json({ items: page.items.map(runListView), nextCursor: page.nextCursor ?? null });
    }),
  );

  router.get(
    '/v1/runs/:runId',
    auth,
    asyncRoute(async (req, res) => {
      const { runId } = parsePathParams(runParams, req.params);
      res.json(runView(await getRun(deps.runs, principalOf(res).tenantId, runId)));
    }),
  );

  return router;
}
