/**
 * Deleting every document whose `source` starts with a prefix (a folder, a site, an export): a
 * job, because a prefix can match many documents. The job is recorded first, with the caller and
 * its groups (only documents the caller may read are deleted, as with a delete by id), then runs
 * in the background; its counts grow page by page and `GET /v1/jobs/:id` shows them. Each
 * document goes through the same `deleteDocument` as a delete by id (vector index, chunk records,
 * document record), so a delete job is safe to run again: a restart resumes an unfinished one.
 */
import type { Logger } from '@keel/platform';
import type { VectorIndex } from '@keel/vector-store';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { deleteDocument } from './delete-document.js';
import { mayRead } from './document-access.js';
import type { DocumentVersions } from './document-versions.js';
import { newJobId, tenantScopedKey } from './identifiers.js';
import type { IngestionRecords, JobRecord } from './records.js';

export interface DeleteBySourceDeps {
  records: IngestionRecords;
  versions: DocumentVersions;
  vectors: VectorIndex;
  collection: string;
  alsoIn?: () => readonly string[];
  logger: Logger;
  now?: () => number;
}

/** Documents read per page, and deleted at once. */
const PAGE_SIZE = 200;
const CONCURRENCY = 8;

export interface DeleteRequester {
  subject: string;
  aclGroups: string[];
}

/** Records the job and starts it; resolves with the job as recorded (`running`, counts at zero). */
export async function startDeleteBySource(
  deps: DeleteBySourceDeps,
  tenantId: string,
  sourcePrefix: string,
  requester: DeleteRequester,
): Promise<JobRecord> {
  const now = (deps.now ?? Date.now)();
  const jobId = newJobId();
  const job: JobRecord = {
    id: tenantScopedKey(tenantId, jobId),
    tenantId,
    jobId,
    documentId: '',
    kind: 'delete',
    sourcePrefix,
    counts: { matched: 0, deleted: 0 },
    status: 'running',
    stage: 'deleting',
    origin: 'http',
    aclGroups: requester.aclGroups,
    submittedBy: { subject: requester.subject, aclGroups: requester.aclGroups },
    request: null,
    createdAt: now,
    updatedAt: now,
  };
  await deps.records.jobs.insert(job);
  void runDeleteBySource(deps, job);
  return job;
}

/** Runs (or resumes) a delete job to its end; never throws: a failure is recorded on the job. */
export async function runDeleteBySource(deps: DeleteBySourceDeps, job: JobRecord): Promise<void> {
  const now = deps.now ?? Date.now;
  const prefix = job.sourcePrefix ?? '';
  const groups = job.submittedBy?.aclGroups ?? [];
  const limit = new ConcurrencyLimit(CONCURRENCY);
  const counts = { matched: 0, deleted: 0 };
  try {
    let cursor: string | undefined;
    do {
      // Keyset pages by id: deleting what was read never shifts what comes next.
      const page = await deps.records.documents.find({
        where: { tenantId: job.tenantId },
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      });
      cursor = page.nextCursor;
      const matching = page.items.filter(
        (document) => document.source.startsWith(prefix) && mayRead(groups, document.aclGroups),
      );
      counts.matched += matching.length;
      await Promise.all(
        matching.map((document) =>
          limit.run(async () => {
            await deleteDocument(deps, job.tenantId, document.documentId);
            counts.deleted += 1;
          }),
        ),
      );
      await deps.records.jobs.updateIf(job.id, { status: 'running' }, { counts: { ...counts }, updatedAt: now() });
    } while (cursor);
    await deps.records.jobs.updateIf(
      job.id,
      { status: 'running' },
      { status: 'deleted', stage: 'done', counts, code: null, reason: null, updatedAt: now() },
    );
    deps.logger.info(
      { tenantId: job.tenantId, jobId: job.jobId, sourcePrefix: prefix, ...counts },
      'documents deleted by source prefix',
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.warn({ err: error, tenantId: job.tenantId, jobId: job.jobId }, 'delete by source prefix failed');
    await deps.records.jobs
      .updateIf(
        job.id,
        { status: 'running' },
        {
          status: 'failed',
          stage: 'done',
          counts,
          code: 'INGEST.DELETE_FAILED',
          reason: `${message}; deleting again with the same prefix finishes the work`,
          updatedAt: now(),
        },
      )
      .catch(() => undefined);
  }
}
