/**
 * Accepting a document over HTTP: check that the caller may write it, record the job (with the
 * request, so that it can be published again if this process dies before the bus has it), then
 * hand the request to the same topic upstream systems publish to, so that one consumer (and one
 * pipeline) does the work for both paths.
 */
import type { EventPublisher } from '@keel/event-bus';
import { forbidden, notFound } from '@keel/platform';
import { OPEN_TO_TENANT } from '@keel/vector-store';
import { decideWrite } from './document-access.js';
import type { DocumentVersions } from './document-versions.js';
import { BLOB_URI_SCHEME, type IngestRequest } from './ingest-request.js';
import type { Jobs } from './jobs.js';
import type { StoredRequest } from './records.js';

export interface SubmittedDocument {
  jobId: string;
  documentId: string;
}

/** Who submits: the principal of the API key. */
export interface Submitter {
  subject: string;
  aclGroups: string[];
}

export interface SubmitDeps {
  jobs: Jobs;
  versions: DocumentVersions;
  publisher: EventPublisher;
  now?: () => number;
}

/** Publishes a job's request on `keel.ingest.requested.v1`, keyed (and de-duplicated) by the job id. */
export function publishRequest(
  deps: Pick<SubmitDeps, 'publisher' | 'now'>,
  job: { tenantId: string; jobId: string; documentId: string },
  request: StoredRequest,
): Promise<void> {
  return deps.publisher.publish(
    'keel.ingest.requested.v1',
    {
      tenantId: job.tenantId,
      documentId: job.documentId,
      jobId: job.jobId,
      title: request.title,
      source: request.source,
      contentType: request.contentType,
      text: request.text,
      metadata: request.metadata,
      aclGroups: request.aclGroups,
      requestedAt: new Date((deps.now ?? Date.now)()),
      // An upload travels as a reference: its bytes stay in the blob store, not on the bus.
      content: Buffer.alloc(0),
      contentUri: request.contentUri ?? '',
      fileName: request.fileName ?? '',
    },
    { idempotencyKey: job.jobId },
  );
}

function storedFile(request: IngestRequest): Pick<StoredRequest, 'contentUri' | 'fileName'> {
  const content = request.content;
  if (content && content.kind !== 'blob') throw new Error('an HTTP request carries an uploaded file as a blob');
  return {
    ...(content ? { contentUri: `${BLOB_URI_SCHEME}${content.blobId}` } : {}),
    ...(request.fileName ? { fileName: request.fileName } : {}),
  };
}

export async function submitDocument(
  deps: SubmitDeps,
  request: IngestRequest,
  submitter: Submitter,
): Promise<SubmittedDocument> {
  const { tenantId, jobId, documentId } = request;
  const current = await deps.versions.get(tenantId, documentId);
  const decision = decideWrite(submitter, current?.aclGroups ?? null, request.aclGroups);
  if (!decision.allowed) {
    // A document the caller may not read is one it does not know of.
    if (decision.notFound) throw notFound(`document ${documentId}`);
    throw forbidden(decision.reason, decision.code);
  }
  const stored: StoredRequest = {
    title: request.title,
    source: request.source,
    contentType: request.contentType,
    text: request.text,
    ...storedFile(request),
    metadata: request.metadata,
    // Empty in the event keeps the document's groups as they are when the request is processed.
    aclGroups: request.aclGroups ?? [],
  };
  await deps.jobs.ensure({
    tenantId,
    jobId,
    documentId,
    origin: 'http',
    aclGroups: request.aclGroups ?? current?.aclGroups ?? [OPEN_TO_TENANT],
    submittedBy: { subject: submitter.subject, aclGroups: [...submitter.aclGroups] },
    request: stored,
  });
  try {
    await publishRequest(deps, { tenantId, jobId, documentId }, stored);
  } catch (error) {
    // Nothing will ever process a job whose request was not published: do not leave it queued.
    await deps.jobs.discard(tenantId, jobId).catch(() => undefined);
    throw error;
  }
  // If this is lost, a restart publishes the request again: a duplicate the job id absorbs.
  await deps.jobs.markPublished(tenantId, jobId).catch(() => undefined);
  return { jobId, documentId };
}
