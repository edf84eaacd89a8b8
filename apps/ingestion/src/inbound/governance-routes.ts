/**
 * Governance over HTTP: the lineage of a document's chunks (`GET /v1/documents/:id/chunks`) and
 * deleting by source prefix (`DELETE /v1/documents?sourcePrefix=...`, a job). Scoped like every
 * route: the tenant of the API key, and inside it the documents its groups may read (404 for the
 * rest, as if absent).
 */

import { InvalidQueryError } from '@keel/doc-store';
import {
  type ApiKeyResolver,
  asyncRoute,
  notFound,
  parseBody,
  principalOf,
  requireApiKey,
  validationError,
  z,
} from '@keel/platform';
import express from 'express';
import { DOCUMENT_ID_PATTERN } from '../indexing/identifiers.js';
import { REQUEST_LIMITS } from '../indexing/ingest-request.js';
import type { Ingestion } from '../indexing/ingestion.js';

/** Query strings are flat: a repeated parameter arrives as an array and fails as its field. */
const chunksQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(2048).optional(),
});

const deleteQuery = z.object({
  // Required and non-empty: an empty prefix would delete the whole tenant by accident.
  sourcePrefix: z.string().min(1, 'must not be empty').max(REQUEST_LIMITS.sourceLength),
});

export function governanceRoutes(ingestion: Ingestion, apiKeys: ApiKeyResolver): express.Router {
  const router = express.Router();
  router.use('/v1', requireApiKey(apiKeys));

  router.get(
    '/v1/documents/:id/chunks',
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const query = parseBody(chunksQuery, { ...req.query });
      const principal = principalOf(res);
      let page: Awaited<ReturnType<Ingestion['chunks']>> = null;
      try {
        page = DOCUMENT_ID_PATTERN.test(id)
          ? await ingestion.chunks(principal.tenantId, id, principal, {
              limit: query.limit,
              ...(query.cursor ? { cursor: query.cursor } : {}),
            })
          : null;
      } catch (error) {
        // A cursor the store cannot read is the caller's to fix, not a server error.
        if (error instanceof InvalidQueryError && query.cursor) {
          throw validationError([{ field: 'cursor', message: 'is not a cursor this listing returned' }]);
        }
        throw error;
      }
      if (!page) throw notFound(`document ${id}`);
      res.json({ documentId: id, ...page });
    }),
  );

  router.delete(
    '/v1/documents',
    asyncRoute(async (req, res) => {
      const query = parseBody(deleteQuery, { ...req.query });
      const principal = principalOf(res);
      const job = await ingestion.deleteBySource(principal.tenantId, query.sourcePrefix, principal);
      res
        .status(202)
        .location(`/v1/jobs/${encodeURIComponent(job.jobId)}`)
        .json(job);
    }),
  );

  return router;
}
