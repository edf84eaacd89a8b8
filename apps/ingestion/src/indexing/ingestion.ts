/**
 * The use cases ingestion offers its inbound adapters (HTTP routes and the topic consumer). Every
 * read and write of an HTTP caller goes through the document's ACL groups (document-access.ts):
 * what the caller may not read is absent for it.
 */
import { deleteDocument } from './delete-document.js';
import { mayRead } from './document-access.js';
import { DocumentVersions } from './document-versions.js';
import { IndexingPipeline, type IndexingPipelineDeps, type PipelineOutcome } from './indexing-pipeline.js';
import type { IngestRequest } from './ingest-request.js';
import { Jobs } from './jobs.js';
import type { JobRecord } from './records.js';
import { type ResumeReport, resumeUnfinishedJobs } from './resume-jobs.js';
import { type SubmittedDocument, type Submitter, submitDocument } from './submit-document.js';
import { type DocumentView, documentView, type JobView, jobView } from './views.js';

/** The HTTP caller: its tenant is passed apart, these decide what it may see inside the tenant. */
export type Viewer = Submitter;

export const DEAD_LETTERED_CODE = 'INGEST.DEAD_LETTERED';

export interface Ingestion {
  /**
   * Checks the caller may write the document (404 when it may not read it, 403 when it asks for
   * groups it may not give), records a queued job and publishes the request; the consumer
   * processes it.
   */
  submit(request: IngestRequest, submitter: Submitter): Promise<SubmittedDocument>;
  /** Runs the pipeline for one request (the consumer calls this for both paths). */
  process(request: IngestRequest): Promise<PipelineOutcome>;
  /** Null when absent or not the viewer's to see. */
  job(tenantId: string, jobId: string, viewer: Viewer): Promise<JobView | null>;
  /** Null when absent or not readable by the viewer. */
  document(tenantId: string, documentId: string, viewer: Viewer): Promise<DocumentView | null>;
  /** False when there was nothing the viewer may delete (absent or not readable by it). */
  deleteDocument(tenantId: string, documentId: string, viewer: Viewer): Promise<boolean>;
  /** At start: accounts for every unfinished job (resume-jobs.ts). */
  resumeUnfinishedJobs(): Promise<ResumeReport>;
  /** The request of this job went to the dead-letter topic: the job is failed, with the reason. */
  failDeadLettered(tenantId: string, jobId: string, documentId: string, reason: string): Promise<void>;
}

export function createIngestion(deps: IndexingPipelineDeps): Ingestion {
  const jobs = new Jobs(deps.records.jobs, deps.now);
  const versions = new DocumentVersions(deps.records.documents, deps.now);
  const pipeline = new IndexingPipeline(deps);

  /** A job is seen by its submitter and by whoever may read the document it is about. */
  async function visibleTo(job: JobRecord, viewer: Viewer): Promise<boolean> {
    if (job.submittedBy && job.submittedBy.subject === viewer.subject) return true;
    // Jobs recorded before their groups were kept follow their document's current groups.
    const groups = job.aclGroups ?? (await versions.get(job.tenantId, job.documentId))?.aclGroups;
    return mayRead(viewer.aclGroups, groups);
  }

  return {
    submit: (request, submitter) =>
      submitDocument({ jobs, versions, publisher: deps.publisher, now: deps.now }, request, submitter),
    process: (request) => pipeline.process(request),
    async job(tenantId, jobId, viewer) {
      const job = await jobs.get(tenantId, jobId);
      return job && (await visibleTo(job, viewer)) ? jobView(job) : null;
    },
    async document(tenantId, documentId, viewer) {
      const document = await versions.get(tenantId, documentId);
      return document && mayRead(viewer.aclGroups, document.aclGroups) ? documentView(document) : null;
    },
    async deleteDocument(tenantId, documentId, viewer) {
      const document = await versions.get(tenantId, documentId);
      if (!document || !mayRead(viewer.aclGroups, document.aclGroups)) return false;
      await deleteDocument(
        { vectors: deps.vectors, collection: deps.collection, records: deps.records, versions },
        tenantId,
        documentId,
      );
      return true;
    },
    resumeUnfinishedJobs: () =>
      resumeUnfinishedJobs({ jobs, publisher: deps.publisher, logger: deps.logger, now: deps.now }),
    async failDeadLettered(tenantId, jobId, documentId, reason) {
      // The document is part of the condition: a letter whose job id belongs to another document
      // (INGEST.JOB_ID_REUSED) must not fail that document's job.
      const failed = await jobs.markFailed(tenantId, jobId, DEAD_LETTERED_CODE, reason, documentId);
      if (failed) deps.logger.warn({ tenantId, jobId, documentId }, `job failed: ${reason}`);
    },
  };
}
