/**
 * `GET /v1/index`: the chunk index's generations and the progress of a re-index after a change of
 * embedding model. Any API key may read it: it is platform-wide and holds no tenant's data.
 */
import { type ApiKeyResolver, asyncRoute, requireApiKey } from '@keel/platform';
import express from 'express';
import type { IndexStatusView } from '../reindexing/index-status.js';

export function indexRoutes(status: () => Promise<IndexStatusView>, apiKeys: ApiKeyResolver): express.Router {
  const router = express.Router();
  router.get(
    '/v1/index',
    requireApiKey(apiKeys),
    asyncRoute(async (_req, res) => {
      res.json(await status());
    }),
  );
  return router;
}
