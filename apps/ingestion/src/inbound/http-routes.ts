/**
 * The HTTP API: submit a document, follow its job, inspect or delete a document. Every route is
 * scoped to the tenant of the caller's API key, and inside it to the documents the key's groups
 * may read: another tenant's ids, and documents (and their jobs) the caller may not read, answer
 * 404, never 403, so that ids do not leak. 403 is only for a caller who may read a document but
 * asks for groups it may not give (see indexing/document-access.ts).
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
import { isBlankText } from '@keel/text';
import express from 'express';
import { DOCUMENT_ID_PATTERN, JOB_ID_PATTERN, newDocumentId, newJobId } from '../indexing/identifiers.js';
import {
  aclGroupsFromHttp,
  DEFAULT_CONTENT_TYPE,
  findViolations,
  type IngestRequest,
  REQUEST_LIMITS,
  SUPPORTED_CONTENT_TYPES,
  textViolation,
} from '../indexing/ingest-request.js';
import type { Ingestion } from '../indexing/ingestion.js';
import { batchBody, submitBatch, submitUpload, type UploadDeps } from './upload-routes.js';

/**
 * The body of `POST /v1/documents`. The text is bounded by the body limit (`INGEST_MAX_BODY`);
 * metadata keys and counts are checked by `findViolations`, which names `metadata.<key>`.
 */
/** Documents in one `POST /v1/documents:batch` when `INGEST_MAX_BATCH` is not given. */
export const DEFAULT_MAX_BATCH = 100;

export const submitDocumentBody = z.object({
  // Text made only of invisible characters (zero-width, bidi controls...) is empty too.
  text: z
    .string()
    .min(1, 'must not be empty')
    .refine((text) => !isBlankText(text), 'must not be empty (it holds only invisible characters)'),
  title: z.string().max(REQUEST_LIMITS.titleLength).optional(),
  source: z.string().max(REQUEST_LIMITS.sourceLength).optional(),
  contentType: z.enum(SUPPORTED_CONTENT_TYPES).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  documentId: z
    .string()
    .regex(DOCUMENT_ID_PATTERN, 'must be 1-128 characters of letters, digits, ".", "_", "~" or "-"')
    .optional(),
  // Absent keeps the document's groups (a new document is open to the whole tenant); [] opens it.
  aclGroups: z.array(z.string().min(1).max(REQUEST_LIMITS.aclGroupLength)).max(REQUEST_LIMITS.aclGroups).optional(),
});

/** A JSON body (one document, or one item of a batch) as a request; throws a 400 naming the fields. */
function requestFromBody(rawBody: unknown, tenantId: string, maxTextBytes: number): IngestRequest {
  const body = parseBody(submitDocumentBody, rawBody);
  const request: IngestRequest = {
    tenantId,
    jobId: newJobId(),
    documentId: body.documentId ?? newDocumentId(),
    title: body.title ?? '',
    source: body.source ?? '',
    contentType: body.contentType ?? DEFAULT_CONTENT_TYPE,
    text: body.text,
    metadata: body.metadata ?? {},
    aclGroups: aclGroupsFromHttp(body.aclGroups),
  };
  // The text limit is checked before the 202 too: a promise is only made for what will be processed.
  const tooLong = textViolation(request.text, maxTextBytes);
  const violations = [...findViolations(request), ...(tooLong ? [tooLong] : [])];
  if (violations.length > 0) throw validationError(violations);
  return request;
}

export function ingestionRoutes(
  ingestion: Ingestion,
  apiKeys: ApiKeyResolver,
  limits: { maxTextBytes: number },
  /** File upload and batches; without it `multipart/form-data` is refused. */
  uploads?: Omit<UploadDeps, 'ingestion' | 'limits'> & { maxFileBytes: number; maxBatch: number },
): express.Router {
  const router = express.Router();
  router.use('/v1', requireApiKey(apiKeys));

  router.post(
    '/v1/documents',
    asyncRoute(async (req, res) => {
      const principal = principalOf(res);
      if (uploads && req.is('multipart/form-data')) {
        const result = await submitUpload(
          {
            ingestion,
            blobs: uploads.blobs,
            parser: uploads.parser,
            limits: {
              maxFileBytes: uploads.maxFileBytes,
              maxBatch: uploads.maxBatch,
              maxTextBytes: limits.maxTextBytes,
            },
          },
          req,
          principal,
        );
        if ('jobId' in result) res.location(`/v1/jobs/${encodeURIComponent(result.jobId)}`);
        res.status(202).json(result);
        return;
      }
      const request = requestFromBody(req.body, principal.tenantId, limits.maxTextBytes);
      const submitted = await ingestion.submit(request, principal);
      res
        .status(202)
        .location(`/v1/jobs/${encodeURIComponent(submitted.jobId)}`)
        .json(submitted);
    }),
  );

  // A regular expression: in a path string, ":batch" would be a parameter.
  router.post(
    /^\/v1\/documents:batch$/,
    asyncRoute(async (req, res) => {
      const principal = principalOf(res);
      const { documents } = parseBody(batchBody(uploads?.maxBatch ?? DEFAULT_MAX_BATCH), req.body);
      const results = await submitBatch(
        ingestion,
        documents,
        principal,
        (item) => requestFromBody(item, principal.tenantId, limits.maxTextBytes),
        req.path,
      );
      const accepted = results.filter((result) => result.status === 202).length;
      // 207: the items' own statuses say which were accepted.
      res
        .status(accepted === results.length ? 202 : 207)
        .json({ accepted, rejected: results.length - accepted, results });
    }),
  );

  router.get(
    '/v1/jobs/:id',
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const principal = principalOf(res);
      // An id no record can have answers 404 without a lookup.
      const job = JOB_ID_PATTERN.test(id) ? await ingestion.job(principal.tenantId, id, principal) : null;
      if (!job) throw notFound(`job ${id}`);
      res.json(job);
    }),
  );

  router.get(
    '/v1/documents/:id',
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const principal = principalOf(res);
      const document = DOCUMENT_ID_PATTERN.test(id)
        ? await ingestion.document(principal.tenantId, id, principal)
        : null;
      if (!document) throw notFound(`document ${id}`);
      res.json(document);
    }),
  );

  router.delete(
    '/v1/documents/:id',
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const principal = principalOf(res);
      // Absent and not readable answer alike: a delete must not reveal that a restricted id exists.
      const deleted = DOCUMENT_ID_PATTERN.test(id)
        ? await ingestion.deleteDocument(principal.tenantId, id, principal)
        : false;
      if (!deleted) throw notFound(`document ${id}`);
      res.status(204).end();
    }),
  );

  return router;
}
