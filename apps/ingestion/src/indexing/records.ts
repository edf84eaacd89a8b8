/**
 * What ingestion keeps in its document store: jobs (the caller's handle on a request), documents
 * (current version and version history) and chunk records (the lineage of every indexed chunk).
 * Timestamps are epoch milliseconds, as the DocumentStore port prescribes.
 */
import type { Collection, DocumentStore } from '@keel/doc-store';

export type JobStatus = 'queued' | 'running' | 'indexed' | 'rejected';

export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['indexed', 'rejected'];

export interface JobRecord {
  /** `<tenantId>/<jobId>`: job ids are only unique within a tenant. */
  id: string;
  tenantId: string;
  jobId: string;
  documentId: string;
  status: JobStatus;
  origin: 'http' | 'event';
  /**
   * Why the job was rejected, or why it is still running (the last failed attempt). Null, not
   * absent, once cleared: stores differ in how they treat an undefined field in an update.
   */
  reason?: string | null;
  code?: string | null;
  chunkCount?: number;
  documentVersion?: string;
  unchanged?: boolean;
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
    store.collection<DocumentRecord>(COLLECTION_NAMES.documents, { indexes: [{ fields: ['tenantId'] }] }),
    store.collection<ChunkRecord>(COLLECTION_NAMES.chunks, {
      indexes: [{ fields: ['tenantId', 'documentId', 'documentVersion'] }],
    }),
  ]);
  return { jobs, documents, chunks };
}
