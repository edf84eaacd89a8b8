/** What the HTTP API shows of jobs and documents: no internal keys, ISO-8601 timestamps. */
import type { DocumentRecord, JobRecord, JobStatus } from './records.js';

export interface JobView {
  jobId: string;
  documentId: string;
  status: JobStatus;
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
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
  };
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
