/**
 * What ingestion keeps in its document store: jobs (the caller's handle on a request), documents
 * (current version and version history) and chunk records (the lineage of every indexed chunk).
 * Timestamps are epoch milliseconds, as the DocumentStore port prescribes.
 */
import type { Collection, DocumentStore } from '@keel/doc-store';

/**
 * `failed`: the job could not be completed (its request was lost in a restart, or its event went
 * to the dead-letter topic after the retries ran out); nothing more happens to it unless its
 * request is delivered again (a replay from the DLQ), which runs it.
 */
export type JobStatus = 'queued' | 'running' | 'indexed' | 'rejected' | 'failed' | 'deleted';

/** `deleted`: a delete job (by source prefix) that removed every document it matched. */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['indexed', 'rejected', 'failed', 'deleted'];

/**
 * Where a job is: `queued` (waiting for the consumer), `scanning` (parsed, policy Scan), `embedding`
 * (chunked: `chunksTotal` chunks being embedded and indexed), `deleting` (a delete job at work),
 * `done` (a final status).
 */
export type JobStage = 'queued' | 'scanning' | 'embedding' | 'deleting' | 'done';

export const UNFINISHED_JOB_STATUSES: readonly JobStatus[] = ['queued', 'running'];

/**
 * What `POST /v1/documents` publishes, kept on the job until it is finished so that a request
 * accepted with 202 can be published again after a crash or a restart (then dropped: finished
 * jobs hold no content).
 */
export interface StoredRequest {
  title: string;
  source: string;
  contentType: string;
  text: string;
  metadata: Record<string, string>;
  /** As published: empty keeps the document's groups. */
  aclGroups: string[];
  /** An uploaded file: `keel-blob:<id>` (the bytes are in blob-store.ts, not on the job). */
  contentUri?: string;
  fileName?: string;
}

export interface JobRecord {
  /** `<tenantId>/<jobId>`: job ids are only unique within a tenant. */
  id: string;
  tenantId: string;
  jobId: string;
  documentId: string;
  status: JobStatus;
  /** Absent on jobs recorded before stages were kept. */
  stage?: JobStage | null;
  /** Absent: indexing one document. `delete`: deleting every document under `sourcePrefix` (documentId empty). */
  kind?: 'index' | 'delete';
  sourcePrefix?: string | null;
  /** A delete job's progress. */
  counts?: { matched: number; deleted: number } | null;
  /** The chunks of the version being indexed, once it is chunked. */
  chunksTotal?: number | null;
  origin: 'http' | 'event';
  /**
   * The groups of the document the job is about (`['*']`: the whole tenant): who may see the job.
   * Absent on jobs recorded before groups were kept (readable by the whole tenant).
   */
  aclGroups?: string[];
  /** The HTTP caller who submitted it; checked again when the job runs. Null for events. */
  submittedBy?: { subject: string; aclGroups: string[] } | null;
  /** The request to publish again until the job is finished (HTTP jobs only). */
  request?: StoredRequest | null;
  /** When the bus acknowledged the request (HTTP jobs); absent: it may never have been published. */
  publishedAt?: number | null;
  /**
   * Why the job was rejected, or why it is still running (the last failed attempt). Null, not
   * absent, once cleared: stores differ in how they treat an undefined field in an update.
   */
  reason?: string | null;
  code?: string | null;
  chunkCount?: number | null;
  documentVersion?: string | null;
  unchanged?: boolean | null;
  createdAt: number;
  updatedAt: number;
}

export type VersionState = 'indexing' | 'current' | 'superseded';

export interface VersionRecord {
  version: string;
  contentSha256: string;
  jobId: string;
  state: VersionState;
  chunkCount: number;
  parser: string;
  embedder: string;
  /** The policy version that scanned the text, or `off` when scanning was disabled. */
  policyVersion: string;
  redacted: boolean;
  createdAt: number;
  indexedAt?: number;
  supersededAt?: number;
}

export interface DocumentRecord {
  /** `<tenantId>/<documentId>`. */
  id: string;
  tenantId: string;
  documentId: string;
  title: string;
  source: string;
  contentType: string;
  metadata: Record<string, string>;
  aclGroups: string[];
  /** Absent until a first version is indexed. */
  currentVersion?: string;
  chunkCount: number;
  /** Oldest first, bounded: superseded versions have no chunks left, only history. */
  versions: VersionRecord[];
  createdAt: number;
  updatedAt: number;
}

export interface ChunkRecord {
  /** `<tenantId>/<chunkId>`. */
  id: string;
  tenantId: string;
  documentId: string;
  documentVersion: string;
  chunkId: string;
  index: number;
  startOffset: number;
  endOffset: number;
  headingPath: string[];
  tokenCount: number;
  jobId: string;
  source: string;
  parser: string;
  embedder: string;
  /** Absent on chunks recorded before lineage kept them. */
  embedderDimensions?: number;
  chunker?: { maxTokens: number; overlapTokens: number };
  /** The vector-index collection holding the chunk's vector. */
  collection?: string;
  /** The 1-based pages the chunk is on (PDF). */
  pages?: number[];
  /**
   * The indexed text of the chunk (after redaction), kept so that a change of embedding model can
   * embed it again (reindexing/); bounded by the chunker's size. Absent on chunks recorded before.
   */
  text?: string;
  createdAt: number;
}

export interface IngestionRecords {
  jobs: Collection<JobRecord>;
  documents: Collection<DocumentRecord>;
  chunks: Collection<ChunkRecord>;
}

export const COLLECTION_NAMES = {
  jobs: 'ingestion_jobs',
  documents: 'ingestion_documents',
  chunks: 'ingestion_chunks',
} as const;

export async function openIngestionRecords(store: DocumentStore): Promise<IngestionRecords> {
  const [jobs, documents, chunks] = await Promise.all([
    store.collection<JobRecord>(COLLECTION_NAMES.jobs, {
      indexes: [{ fields: ['tenantId', 'documentId'] }, { fields: ['status'] }],
    }),
    store.collection<DocumentRecord>(COLLECTION_NAMES.documents, {
      indexes: [{ fields: ['tenantId'] }, { fields: ['tenantId', 'source'] }],
    }),
    store.collection<ChunkRecord>(COLLECTION_NAMES.chunks, {
      indexes: [{ fields: ['tenantId', 'documentId', 'documentVersion'] }],
    }),
  ]);
  return { jobs, documents, chunks };
}
