/** The use cases ingestion offers its inbound adapters (HTTP routes and the topic consumer). */
import { deleteDocument } from './delete-document.js';
import { DocumentVersions } from './document-versions.js';
import { IndexingPipeline, type IndexingPipelineDeps, type PipelineOutcome } from './indexing-pipeline.js';
import type { IngestRequest } from './ingest-request.js';
import { Jobs } from './jobs.js';
import { type SubmittedDocument, submitDocument } from './submit-document.js';
import { type DocumentView, documentView, type JobView, jobView } from './views.js';

export interface Ingestion {
  /** Records a queued job and publishes the request; the consumer processes it. */
  submit(request: IngestRequest): Promise<SubmittedDocument>;
  /** Runs the pipeline for one request (the consumer calls this for both paths). */
  process(request: IngestRequest): Promise<PipelineOutcome>;
  job(tenantId: string, jobId: string): Promise<JobView | null>;
  document(tenantId: string, documentId: string): Promise<DocumentView | null>;
  deleteDocument(tenantId: string, documentId: string): Promise<void>;
}

export function createIngestion(deps: IndexingPipelineDeps): Ingestion {
  const jobs = new Jobs(deps.records.jobs, deps.now);
  const versions = new DocumentVersions(deps.records.documents, deps.now);
  const pipeline = new IndexingPipeline(deps);
  return {
    submit: (request) => submitDocument({ jobs, publisher: deps.publisher, now: deps.now }, request),
    process: (request) => pipeline.process(request),
    async job(tenantId, jobId) {
      const job = await jobs.get(tenantId, jobId);
      return job ? jobView(job) : null;
    },
    async document(tenantId, documentId) {
      const document = await versions.get(tenantId, documentId);
      return document ? documentView(document) : null;
    },
    deleteDocument: (tenantId, documentId) =>
      deleteDocument(
        { vectors: deps.vectors, collection: deps.collection, records: deps.records, versions },
        tenantId,
        documentId,
      ),
  };
}
