/**
 * The use cases ingestion offers its inbound adapters (HTTP routes and the topic consumer). Every
 * read and write of an HTTP caller goes through the document's ACL groups (document-access.ts):
 * what the caller may not read is absent for it.
 */
import { type DeleteBySourceDeps, runDeleteBySource, startDeleteBySource } from './delete-by-source.js';
import { deleteDocument } from './delete-document.js';
import { mayRead } from './document-access.js';
import { DocumentVersions } from './document-versions.js';
import {
  type BatchItemResult,
  IndexingPipeline,
  type IndexingPipelineDeps,
  type PipelineOutcome,
} from './indexing-pipeline.js';
import type { IngestRequest } from './ingest-request.js';
import { Jobs } from './jobs.js';
import type { JobRecord } from './records.js';
import { type ResumeReport, resumeUnfinishedJobs } from './resume-jobs.js';
import { type SubmittedDocument, type Submitter, submitDocument } from './submit-document.js';
import {
  type ChunkLineageView,
  chunkLineageView,
  type DocumentView,
  documentView,
  type JobView,
  jobView,
} from './views.js';

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
  /** Runs the pipeline for requests together; one result per request, in order (failed ones are to retry). */
  processBatch(requests: IngestRequest[]): Promise<BatchItemResult[]>;
  /** Null when absent or not the viewer's to see. */
  job(tenantId: string, jobId: string, viewer: Viewer): Promise<JobView | null>;
  /** Null when absent or not readable by the viewer. */
  document(tenantId: string, documentId: string, viewer: Viewer): Promise<DocumentView | null>;
  /** False when there was nothing the viewer may delete (absent or not readable by it). */
  deleteDocument(tenantId: string, documentId: string, viewer: Viewer): Promise<boolean>;
  /**
   * The lineage of the current version's chunks, in order, a page at a time; null when the
   * document is absent or not readable by the viewer.
   */
  chunks(
    tenantId: string,
    documentId: string,
    viewer: Viewer,
    page: { limit: number; cursor?: string },
  ): Promise<{ chunks: ChunkLineageView[]; nextCursor?: string } | null>;
  /** Starts a job deleting every document under a source prefix that the viewer may read. */
  deleteBySource(tenantId: string, sourcePrefix: string, viewer: Viewer): Promise<JobView>;
  /** At start: accounts for every unfinished job (resume-jobs.ts). */
  resumeUnfinishedJobs(): Promise<ResumeReport>;
  /** The request of this job went to the dead-letter topic: the job is failed, with the reason. */
  failDeadLettered(tenantId: string, jobId: string, documentId: string, reason: string): Promise<void>;
}

export function createIngestion(deps: IndexingPipelineDeps): Ingestion {
  const jobs = new Jobs(deps.records.jobs, deps.now);
  const versions = new DocumentVersions(deps.records.documents, deps.now);
  const pipeline = new IndexingPipeline(deps);
  const deletes: DeleteBySourceDeps = {
    records: deps.records,
    versions,
    vectors: deps.vectors,
    collection: deps.collection,
    ...(deps.index ? { alsoIn: () => deps.index?.collections() ?? [] } : {}),
    logger: deps.logger,
    ...(deps.now ? { now: deps.now } : {}),
  };

  /** A job is seen by its submitter and by whoever may read the document it is about. */
  async function visibleTo(job: JobRecord, viewer: Viewer): Promise<boolean> {
    if (job.submittedBy && job.submittedBy.subject === viewer.subject) return true;
    // Jobs recorded before their groups were kept follow their document's current groups.
    const groups = job.aclGroups ?? (await versions.get(job.tenantId, job.documentId))?.aclGroups;
    return mayRead(viewer.aclGroups, groups);
  }

  /** A finished job's uploaded file is dropped; an unfinished one keeps it for its retry. */
  async function releaseFiles(requests: readonly IngestRequest[]): Promise<void> {
    const files = deps.files;
    if (!files) return;
    for (const request of requests) {
      if (!request.content) continue;
      await files.release(request).catch((error: unknown) => {
        deps.logger.warn(
          { err: error, tenantId: request.tenantId, jobId: request.jobId },
          'could not drop an uploaded file; it expires',
        );
      });
    }
  }

  return {
    submit: (request, submitter) =>
      submitDocument({ jobs, versions, publisher: deps.publisher, now: deps.now }, request, submitter),
    async process(request) {
      const outcome = await pipeline.process(request);
      await releaseFiles([request]);
      return outcome;
    },
    async processBatch(requests) {
      const results = await pipeline.processBatch(requests);
      await releaseFiles(requests.filter((_, index) => results[index]?.ok));
      return results;
    },
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
      await deleteDocument(deletes, tenantId, documentId);
      return true;
    },
    async chunks(tenantId, documentId, viewer, page) {
      const document = await versions.get(tenantId, documentId);
      if (!document || !mayRead(viewer.aclGroups, document.aclGroups)) return null;
      if (!document.currentVersion) return { chunks: [] };
      const found = await deps.records.chunks.find({
        where: { tenantId, documentId, documentVersion: document.currentVersion },
        orderBy: { field: 'index', direction: 'asc' },
        limit: page.limit,
        ...(page.cursor ? { cursor: page.cursor } : {}),
      });
      return {
        chunks: found.items.map(chunkLineageView),
        ...(found.nextCursor ? { nextCursor: found.nextCursor } : {}),
      };
    },
    async deleteBySource(tenantId, sourcePrefix, viewer) {
      return jobView(await startDeleteBySource(deletes, tenantId, sourcePrefix, viewer));
    },
    resumeUnfinishedJobs: () =>
      resumeUnfinishedJobs({
        jobs,
        publisher: deps.publisher,
        logger: deps.logger,
        now: deps.now,
        resumeDelete: (job) => void runDeleteBySource(deletes, job),
      }),
    async failDeadLettered(tenantId, jobId, documentId, reason) {
      // The document is part of the condition: a letter whose job id belongs to another document
      // (INGEST.JOB_ID_REUSED) must not fail that document's job.
      const failed = await jobs.markFailed(tenantId, jobId, DEAD_LETTERED_CODE, reason, documentId);
      if (failed) deps.logger.warn({ tenantId, jobId, documentId }, `job failed: ${reason}`);
    },
  };
}
