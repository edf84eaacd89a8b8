/**
 * File upload (`POST /v1/documents` with `multipart/form-data`) and batches
 * (`POST /v1/documents:batch`). An upload's type is detected from its bytes; the file waits in
 * the blob store and its job carries a reference (a 25 MB file does not fit a Kafka message).
 * A CSV or JSON Lines file becomes one document per record, parsed here (in the worker, with
 * its limits) so each record gets its own job, id and metadata.
 */
import {
  GrpcCode,
  KeelError,
  type Principal,
  type ProblemDetails,
  parseBody,
  toProblemDetails,
  type Violation,
  validationError,
  z,
} from '@keel/platform';
import { TextError } from '@keel/text';
import { detectContentType, type FileParser, MediaType, SUPPORTED_MEDIA_TYPES } from '@keel/text/formats';
import type { Request } from 'express';
import type { BlobStore } from '../indexing/blob-store.js';
import { DOCUMENT_ID_PATTERN, newDocumentId, newJobId } from '../indexing/identifiers.js';
import {
  aclGroupsFromHttp,
  DEFAULT_CONTENT_TYPE,
  findViolations,
  type IngestRequest,
  REQUEST_LIMITS,
  textViolation,
} from '../indexing/ingest-request.js';
import type { Ingestion } from '../indexing/ingestion.js';
import type { SubmittedDocument } from '../indexing/submit-document.js';
import { readMultipart } from './read-multipart.js';

export interface UploadLimits {
  /** `INGEST_MAX_UPLOAD`: the largest file. */
  maxFileBytes: number;
  /** `INGEST_MAX_BATCH`: documents in one batch request (and records in one CSV/JSON Lines upload). */
  maxBatch: number;
  maxTextBytes: number;
}

export interface UploadDeps {
  ingestion: Ingestion;
  blobs: BlobStore;
  /** Parses CSV and JSON Lines uploads into records. */
  parser: FileParser;
  limits: UploadLimits;
}

const MAX_FIELD_BYTES = 64 * 1024;

const documentId = z
  .string()
  .regex(DOCUMENT_ID_PATTERN, 'must be 1-128 characters of letters, digits, ".", "_", "~" or "-"');

/** A JSON-encoded form field (`metadata`, `aclGroups`), reported under its own name when malformed. */
function jsonField<S extends z.ZodType>(schema: S) {
  return z
    .string()
    .transform((value, context) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const fieldList = z
  .string()
  .max(4096)
  .transform((value) =>
    value
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );

/** The text fields of an upload beside `file`. */
export const uploadFields = z.object({
  title: z.string().max(REQUEST_LIMITS.titleLength).optional(),
  source: z.string().max(REQUEST_LIMITS.sourceLength).optional(),
  documentId: documentId.optional(),
  /** A hint only: the bytes decide (it tells Markdown or CSV from plain text). */
  contentType: z.string().max(255).optional(),
  metadata: jsonField(z.record(z.string(), z.string())).optional(),
  aclGroups: jsonField(
    z.array(z.string().min(1).max(REQUEST_LIMITS.aclGroupLength)).max(REQUEST_LIMITS.aclGroups),
  ).optional(),
  /** CSV / JSON Lines: comma-separated field names. */
  textFields: fieldList.optional(),
  metadataFields: fieldList.optional(),
  idField: z.string().min(1).max(256).optional(),
});

export type UploadResult =
  | (SubmittedDocument & { contentType: string })
  | { contentType: string; documents: (SubmittedDocument & { row: number })[] };

function unsupportedType(detected: string): KeelError {
  const message = `the bytes are ${detected}; supported: ${SUPPORTED_MEDIA_TYPES.join(', ')}`;
  return new KeelError(`unsupported file: ${message}`, {
    code: 'INGEST.UNSUPPORTED_MEDIA_TYPE',
    httpStatus: 415,
    grpcCode: GrpcCode.INVALID_ARGUMENT,
    retryable: false,
    violations: [{ field: 'file', message }],
  });
}

export async function submitUpload(deps: UploadDeps, req: Request, principal: Principal): Promise<UploadResult> {
  const upload = await readMultipart(req, {
    maxFileBytes: deps.limits.maxFileBytes,
    maxFieldBytes: MAX_FIELD_BYTES,
    maxFields: 16,
  });
  const fields = parseBody(uploadFields, upload.fields);
  const { bytes, fileName, declaredType } = upload.file;
  if (bytes.length === 0) throw validationError([{ field: 'file', message: 'must not be empty' }]);
  const declared = fields.contentType ?? (declaredType === 'application/octet-stream' ? '' : declaredType);
  const detected = detectContentType(bytes, { declared, fileName });
  if (!detected.supported) throw unsupportedType(detected.mediaType);
  const base: IngestRequest = {
    tenantId: principal.tenantId,
    jobId: newJobId(),
    documentId: fields.documentId ?? newDocumentId(),
    title: fields.title ?? fileName,
    source: fields.source ?? fileName,
    contentType: detected.mediaType,
    text: '',
    metadata: fields.metadata ?? {},
    aclGroups: aclGroupsFromHttp(fields.aclGroups),
    ...(fileName ? { fileName } : {}),
  };
  if (detected.mediaType === MediaType.csv || detected.mediaType === MediaType.jsonl) {
    return submitRecords(deps, principal, base, bytes, fields);
  }
  const violations = findViolations(base);
  if (violations.length > 0) throw validationError(violations);
  const blob = await deps.blobs.put(principal.tenantId, bytes);
  try {
    const submitted = await deps.ingestion.submit(
      { ...base, content: { kind: 'blob', blobId: blob.blobId } },
      principal,
    );
    return { ...submitted, contentType: detected.mediaType };
  } catch (error) {
    await deps.blobs.delete(principal.tenantId, blob.blobId).catch(() => undefined);
    throw error;
  }
}

async function submitRecords(
  deps: UploadDeps,
  principal: Principal,
  base: IngestRequest,
  bytes: Uint8Array,
  fields: z.infer<typeof uploadFields>,
): Promise<UploadResult> {
  let records: NonNullable<Awaited<ReturnType<FileParser['parse']>>['records']>;
  try {
    const parsed = await deps.parser.parse(bytes, {
      declared: base.contentType,
      ...(base.fileName ? { fileName: base.fileName } : {}),
      records: {
        ...(fields.textFields ? { textFields: fields.textFields } : {}),
        ...(fields.metadataFields ? { metadataFields: fields.metadataFields } : {}),
        ...(fields.idField ? { idField: fields.idField } : {}),
      },
    });
    records = parsed.records ?? [];
  } catch (error) {
    if (error instanceof TextError) {
      throw validationError(
        [{ field: 'file', message: error.message }],
        `the file cannot be read: ${error.message}`,
        error.code,
      );
    }
    throw error;
  }
  if (records.length > deps.limits.maxBatch) {
    throw validationError([
      {
        field: 'file',
        message: `has ${records.length} records; at most ${deps.limits.maxBatch} are accepted in one upload`,
      },
    ]);
  }
  // Every record is checked before any is submitted: a file is accepted whole or not at all.
  const requests: (IngestRequest & { row: number })[] = [];
  const violations: Violation[] = [];
  for (const record of records) {
    const request = {
      ...base,
      jobId: newJobId(),
      documentId: record.id ?? `${base.documentId}-${record.row}`,
      contentType: DEFAULT_CONTENT_TYPE,
      text: record.text,
      metadata: { ...base.metadata, ...record.metadata },
      row: record.row,
    };
    const tooLong = textViolation(request.text, deps.limits.maxTextBytes);
    for (const violation of [...findViolations(request), ...(tooLong ? [tooLong] : [])]) {
      violations.push({ field: `file.records[${record.row}].${violation.field}`, message: violation.message });
    }
    requests.push(request);
  }
  if (violations.length > 0) throw validationError(violations.slice(0, 20));
  const documents: (SubmittedDocument & { row: number })[] = [];
  for (const { row, ...request } of requests) {
    documents.push({ ...(await deps.ingestion.submit(request, principal)), row });
  }
  return { contentType: base.contentType, documents };
}

/** `POST /v1/documents:batch`: the body, before each item is checked on its own. */
export function batchBody(maxBatch: number) {
  return z.object({ documents: z.array(z.unknown()).min(1, 'must not be empty').max(maxBatch) });
}

export type BatchItemResult =
  | ({ index: number; status: 202 } & SubmittedDocument)
  | { index: number; status: number; error: ProblemDetails };

/**
 * Submits every item that is valid, one job each, and reports every item: 202 with its job, or
 * its problem (fields named `documents[i].<field>`). One bad item does not stop the others.
 */
export async function submitBatch(
  ingestion: Ingestion,
  items: readonly unknown[],
  principal: Principal,
  toRequest: (body: unknown) => IngestRequest,
  instance: string,
): Promise<BatchItemResult[]> {
  const results: BatchItemResult[] = [];
  for (const [index, item] of items.entries()) {
    try {
      const submitted = await ingestion.submit(toRequest(item), principal);
      results.push({ index, status: 202, ...submitted });
    } catch (error) {
      const problem = toProblemDetails(error, instance);
      if (problem.errors) {
        problem.errors = problem.errors.map((violation) => ({
          ...violation,
          field: `documents[${index}].${violation.field === '(body)' ? '' : violation.field}`.replace(/\.$/, ''),
        }));
      }
      results.push({ index, status: problem.status, error: problem });
    }
  }
  return results;
}
