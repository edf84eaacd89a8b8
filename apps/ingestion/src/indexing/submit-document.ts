/**
 * Accepting a document over HTTP: record the job, then hand the request to the same topic upstream
 * systems publish to, so that one consumer (and one pipeline) does the work for both paths.
 */
import type { EventPublisher } from '@keel/event-bus';
import type { IngestRequest } from './ingest-request.js';
import type { Jobs } from './jobs.js';

export interface SubmittedDocument {
  jobId: string;
  documentId: string;
}

export async function submitDocument(
  deps: { jobs: Jobs; publisher: EventPublisher; now?: () => number },
  request: IngestRequest,
): Promise<SubmittedDocument> {
  const { tenantId, jobId, documentId } = request;
  await deps.jobs.ensure({ tenantId, jobId, documentId, origin: 'http' });
  try {
    await deps.publisher.publish(
      'keel.ingest.requested.v1',
      {
        tenantId,
        documentId,
        jobId,
        title: request.title,
        source: request.source,
        contentType: request.contentType,
        text: request.text,
        metadata: request.metadata,
        aclGroups: request.aclGroups,
        requestedAt: new Date((deps.now ?? Date.now)()),
      },
      { idempotencyKey: jobId },
    );
  } catch (error) {
    // Nothing will ever process a job whose request was not published: do not leave it queued.
    await deps.jobs.discard(tenantId, jobId).catch(() => undefined);
    throw error;
  }
  return { jobId, documentId };
}
