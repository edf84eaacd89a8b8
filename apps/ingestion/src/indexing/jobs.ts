/**
 * Job state transitions. Each one is a conditional update (`updateIf`), so a redelivered event or
 * a racing consumer can never move a job backwards (for example from `indexed` to `running`).
 *
 *   queued ──▶ running ──▶ indexed
 *      │          │
 *      ├──────────┴──────▶ rejected
 *      └──────────┴──────▶ failed ──▶ running (only when its request is delivered again)
 *
 * Two exceptions run a finished job again, both on a new delivery of its request: a `failed`
 * job, and an `indexed` content-addressed job whose document moved on since (`reopen`).
 */
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import { tenantScopedKey } from './identifiers.js';
import { type JobRecord, type StoredRequest, UNFINISHED_JOB_STATUSES } from './records.js';

export interface NewJob {
  tenantId: string;
  jobId: string;
  documentId: string;
  origin: JobRecord['origin'];
  /** The groups the job's document has or will have (who may see the job). */
  aclGroups: string[];
  submittedBy?: JobRecord['submittedBy'];
  request?: StoredRequest;
}

const unfinished = { status: { $in: [...UNFINISHED_JOB_STATUSES] } };

export interface IndexedOutcome {
  documentVersion: string;
  chunkCount: number;
  unchanged: boolean;
}

export class Jobs {
  constructor(
    private readonly collection: Collection<JobRecord>,
    private readonly now: () => number = Date.now,
  ) {}

  get(tenantId: string, jobId: string): Promise<JobRecord | null> {
    return this.collection.get(tenantScopedKey(tenantId, jobId));
  }

  /** Creates the job in `queued`, or returns the one a previous delivery created. */
  async ensure(job: NewJob): Promise<JobRecord> {
    const key = tenantScopedKey(job.tenantId, job.jobId);
    const existing = await this.collection.get(key);
    if (existing) return existing;
    const now = this.now();
    const record: JobRecord = {
      id: key,
      ...job,
      submittedBy: job.submittedBy ?? null,
      request: job.request ?? null,
      status: 'queued',
      stage: 'queued',
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.collection.insert(record);
      return record;
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
      const raced = await this.collection.get(key);
      if (!raced) throw error;
      return raced;
    }
  }

  /** Drops a job nobody will ever process (its request could not be published). */
  async discard(tenantId: string, jobId: string): Promise<void> {
    await this.collection.delete(tenantScopedKey(tenantId, jobId));
  }

  /** Records that the bus acknowledged the job's request: a restart need not publish it again. */
  async markPublished(tenantId: string, jobId: string): Promise<void> {
    await this.collection.updateIf(tenantScopedKey(tenantId, jobId), unfinished, { publishedAt: this.now() });
  }

  /**
   * Returns the running job, or null when it has already finished (indexed or rejected). A
   * failed job runs again: its request was delivered after all (a replay from the DLQ).
   */
  markRunning(tenantId: string, jobId: string, aclGroups: string[]): Promise<JobRecord | null> {
    return this.collection.updateIf(
      tenantScopedKey(tenantId, jobId),
      { status: { $in: [...UNFINISHED_JOB_STATUSES, 'failed'] } },
      { status: 'running', stage: 'scanning', aclGroups, updatedAt: this.now() },
    );
  }

  /** The running job's version is chunked: its chunks are being embedded and indexed. */
  async markEmbedding(tenantId: string, jobId: string, chunksTotal: number): Promise<void> {
    await this.collection.updateIf(
      tenantScopedKey(tenantId, jobId),
      { status: 'running' },
      { stage: 'embedding', chunksTotal, updatedAt: this.now() },
    );
  }

  /**
   * Runs an indexed job again, if it is still the one that indexed `documentVersion` (two
   * deliveries racing to reopen it: one wins).
   */
  reopen(tenantId: string, jobId: string, documentVersion: string, aclGroups: string[]): Promise<JobRecord | null> {
    return this.collection.updateIf(
      tenantScopedKey(tenantId, jobId),
      { status: 'indexed', documentVersion },
      {
        status: 'running',
        stage: 'scanning',
        chunksTotal: null,
        aclGroups,
        documentVersion: null,
        chunkCount: null,
        unchanged: null,
        code: null,
        reason: null,
        updatedAt: this.now(),
      },
    );
  }

  markIndexed(tenantId: string, jobId: string, outcome: IndexedOutcome): Promise<JobRecord | null> {
    return this.collection.updateIf(
      tenantScopedKey(tenantId, jobId),
      { status: { $in: ['queued', 'running'] } },
      {
        status: 'indexed',
        stage: 'done',
        chunksTotal: outcome.chunkCount,
        ...outcome,
        // A retry may have left the reason of an earlier failed attempt: the job succeeded after all.
        code: null,
        reason: null,
        request: null,
        updatedAt: this.now(),
      },
    );
  }

  markRejected(tenantId: string, jobId: string, code: string, reason: string): Promise<JobRecord | null> {
    return this.collection.updateIf(
      tenantScopedKey(tenantId, jobId),
      { status: { $in: ['queued', 'running'] } },
      { status: 'rejected', stage: 'done', code, reason, request: null, updatedAt: this.now() },
    );
  }

  /** Gives up on an unfinished job (of `documentId`, when given), saying why (see `failed` in records.ts). */
  markFailed(
    tenantId: string,
    jobId: string,
    code: string,
    reason: string,
    documentId?: string,
  ): Promise<JobRecord | null> {
    const condition = documentId === undefined ? unfinished : { ...unfinished, documentId };
    return this.collection.updateIf(tenantScopedKey(tenantId, jobId), condition, {
      status: 'failed',
      stage: 'done',
      code,
      reason,
      request: null,
      updatedAt: this.now(),
    });
  }

  /** Every job that is neither finished nor failed, page by page (oldest key first). */
  async *unfinished(pageSize = 200): AsyncGenerator<JobRecord> {
    let cursor: string | undefined;
    do {
      const page = await this.collection.find({ where: unfinished, limit: pageSize, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** Records why a running job is not done yet, so a caller polling it sees the cause. */
  async noteFailure(tenantId: string, jobId: string, code: string, reason: string): Promise<void> {
    await this.collection.updateIf(
      tenantScopedKey(tenantId, jobId),
      { status: 'running' },
      { code, reason, updatedAt: this.now() },
    );
  }
}
