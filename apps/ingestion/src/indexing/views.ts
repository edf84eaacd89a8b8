/** What the HTTP API shows of jobs and documents: no internal keys, ISO-8601 timestamps. */
import type { ChunkRecord, DocumentRecord, JobRecord, JobStage, JobStatus } from './records.js';

export interface JobView {
  jobId: string;
  documentId: string;
  status: JobStatus;
  /** Where the job is (absent on jobs recorded before stages were kept). */
  stage?: JobStage;
  /** `delete` for a delete-by-source-prefix job, with its prefix and counts. */
  kind?: 'delete';
  sourcePrefix?: string;
  counts?: { matched: number; deleted: number };
  /** Chunks of the version being indexed, and how many of them are in the index. */
  progress?: { chunksTotal: number; chunksIndexed: number };
  reason?: string;
  code?: string;
  chunkCount?: number;
  documentVersion?: string;
  unchanged?: boolean;
  createdAt: string;
  updatedAt: string;
}

export function jobView(job: JobRecord): JobView {
  const view: JobView = {
    jobId: job.jobId,
    documentId: job.documentId,
    status: job.status,
    ...(job.stage ? { stage: job.stage } : {}),
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
  };
  if (job.chunksTotal !== undefined && job.chunksTotal !== null) {
    view.progress = { chunksTotal: job.chunksTotal, chunksIndexed: job.status === 'indexed' ? job.chunksTotal : 0 };
  }
  if (job.kind === 'delete') {
    view.kind = 'delete';
    if (job.sourcePrefix) view.sourcePrefix = job.sourcePrefix;
    view.counts = job.counts ?? { matched: 0, deleted: 0 };
  }
  if (job.reason) view.reason = job.reason;
  if (job.code) view.code = job.code;
  if (job.chunkCount !== undefined && job.chunkCount !== null) view.chunkCount = job.chunkCount;
  if (job.documentVersion) view.documentVersion = job.documentVersion;
  if (job.unchanged !== undefined && job.unchanged !== null) view.unchanged = job.unchanged;
  return view;
}

export interface DocumentVersionView {
  version: string;
  state: string;
  contentSha256: string;
  jobId: string;
  chunkCount: number;
  parser: string;
  embedder: string;
  policyVersion: string;
  redacted: boolean;
  createdAt: string;
  indexedAt?: string;
  supersededAt?: string;
}

export interface DocumentView {
  documentId: string;
  title: string;
  source: string;
  contentType: string;
  metadata: Record<string, string>;
  aclGroups: string[];
  currentVersion: string | null;
  chunkCount: number;
  /** Newest first. */
  versions: DocumentVersionView[];
  createdAt: string;
  updatedAt: string;
}

const iso = (epochMs: number | undefined): string | undefined =>
  epochMs === undefined || epochMs === null ? undefined : new Date(epochMs).toISOString();

export function documentView(document: DocumentRecord): DocumentView {
  return {
    documentId: document.documentId,
    title: document.title,
    source: document.source,
    contentType: document.contentType,
    metadata: document.metadata,
    aclGroups: document.aclGroups,
    currentVersion: document.currentVersion ?? null,
    chunkCount: document.currentVersion ? document.chunkCount : 0,
    versions: [...document.versions].reverse().map((entry) => {
      const view: DocumentVersionView = {
        version: entry.version,
        state: entry.state,
        contentSha256: entry.contentSha256,
        jobId: entry.jobId,
        chunkCount: entry.chunkCount,
        parser: entry.parser,
        embedder: entry.embedder,
        policyVersion: entry.policyVersion,
        redacted: entry.redacted,
        createdAt: new Date(entry.createdAt).toISOString(),
      };
      const indexedAt = iso(entry.indexedAt);
      if (indexedAt) view.indexedAt = indexedAt;
      const supersededAt = iso(entry.supersededAt);
      if (supersededAt) view.supersededAt = supersededAt;
      return view;
    }),
    createdAt: new Date(document.createdAt).toISOString(),
    updatedAt: new Date(document.updatedAt).toISOString(),
  };
}

/** A chunk's lineage: where it came from and how it was made, as `GET /v1/documents/:id/chunks` shows it. */
export interface ChunkLineageView {
  chunkId: string;
  index: number;
  documentId: string;
  documentVersion: string;
  jobId: string;
  source: string;
  startOffset: number;
  endOffset: number;
  headingPath: string[];
  tokenCount: number;
  parser: string;
  chunker: { maxTokens: number; overlapTokens: number } | null;
  embedder: { model: string; dimensions: number | null };
  collection: string | null;
  createdAt: string;
  /** PDF only: the 1-based first and last page the chunk is on, as search hits carry them. */
  page?: number;
  pageEnd?: number;
}

export function chunkLineageView(chunk: ChunkRecord): ChunkLineageView {
  const [page, pageEnd] = [chunk.pages?.[0], chunk.pages?.at(-1)];
  return {
    chunkId: chunk.chunkId,
    index: chunk.index,
    documentId: chunk.documentId,
    documentVersion: chunk.documentVersion,
    jobId: chunk.jobId,
    source: chunk.source,
    startOffset: chunk.startOffset,
    endOffset: chunk.endOffset,
    headingPath: chunk.headingPath,
    tokenCount: chunk.tokenCount,
    parser: chunk.parser,
    chunker: chunk.chunker ?? null,
    embedder: { model: chunk.embedder, dimensions: chunk.embedderDimensions ?? null },
    collection: chunk.collection ?? null,
    createdAt: new Date(chunk.createdAt).toISOString(),
    ...(page !== undefined && pageEnd !== undefined ? { page, pageEnd } : {}),
  };
}
