/**
 * The HTTP API: submit a document, follow its job, inspect or delete a document. Every route is
 * scoped to the tenant of the caller's API key: another tenant's ids answer 404, never 403, so
 * that ids do not leak across tenants.
 */
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
import { DOCUMENT_ID_PATTERN, newDocumentId, newJobId } from '../indexing/identifiers.js';
import {
  DEFAULT_CONTENT_TYPE,
  findViolations,
  type IngestRequest,
  normalizeAclGroups,
  REQUEST_LIMITS,
  SUPPORTED_CONTENT_TYPES,
} from '../indexing/ingest-request.js';
import type { Ingestion } from '../indexing/ingestion.js';

export const submitDocumentBody = z.object({
  text: z.string().min(1, 'must not be empty'),
  title: z.string().max(REQUEST_LIMITS.titleLength).optional(),
  source: z.string().max(REQUEST_LIMITS.sourceLength).optional(),
  contentType: z.enum(SUPPORTED_CONTENT_TYPES).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  documentId: z
    .string()
    .regex(DOCUMENT_ID_PATTERN, 'must be 1-128 characters of letters, digits, ".", "_", "~" or "-"')
    .optional(),
  aclGroups: z.array(z.string().min(1).max(REQUEST_LIMITS.aclGroupLength)).max(REQUEST_LIMITS.aclGroups).optional(),
});

export function ingestionRoutes(ingestion: Ingestion, apiKeys: ApiKeyResolver): express.Router {
  const router = express.Router();
  router.use('/v1', requireApiKey(apiKeys));

  router.post(
    '/v1/documents',
    asyncRoute(async (req, res) => {
      const body = parseBody(submitDocumentBody, req.body);
      const { tenantId } = principalOf(res);
      const request: IngestRequest = {
        tenantId,
        jobId: newJobId(),
        documentId: body.documentId ?? newDocumentId(),
        title: body.title ?? '',
        source: body.source ?? '',
        contentType: body.contentType ?? DEFAULT_CONTENT_TYPE,
        text: body.text,
        metadata: body.metadata ?? {},
        aclGroups: normalizeAclGroups(body.aclGroups),
      };
      const violations = findViolations(request);
      if (violations.length > 0) throw validationError(violations);
      const submitted = await ingestion.submit(request);
      res
        .status(202)
        .location(`/v1/jobs/${encodeURIComponent(submitted.jobId)}`)
        .json(submitted);
    }),
  );

  router.get(
    '/v1/jobs/:id',
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const job = await ingestion.job(principalOf(res).tenantId, id);
      if (!job) throw notFound(`job ${id}`);
      res.json(job);
    }),
  );

  router.get(
    '/v1/documents/:id',
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const document = await ingestion.document(principalOf(res).tenantId, id);
      if (!document) throw notFound(`document ${id}`);
      res.json(document);
    }),
  );

  router.delete(
    '/v1/documents/:id',
    asyncRoute(async (req, res) => {
      await ingestion.deleteDocument(principalOf(res).tenantId, String(req.params.id));
      res.status(204).end();
    }),
  );

  return router;
}
