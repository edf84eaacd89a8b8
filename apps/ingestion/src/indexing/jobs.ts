/**
 * Job state transitions. Each one is a conditional update (`updateIf`), so a redelivered event or
 * a racing consumer can never move a job backwards (for example from `indexed` to `running`).
 *
 *   queued ──▶ running ──▶ indexed
 *      │          │
 *      └──────────┴──────▶ rejected
 */
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import { tenantScopedKey } from './identifiers.js';
import type { JobRecord } from './records.js';

export interface NewJob {
  tenantId: string;
  jobId: string;
  documentId: string;
  origin: JobRecord['origin'];
}

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
    const record: JobRecord = { id: key, ...job, status: 'queued', createdAt: now, updatedAt: now };
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

  /** Returns the running job, or null when it has already finished (indexed or rejected). */
  markRunning(tenantId: string, jobId: string): Promise<JobRecord | null> {
    return this.collection.updateIf(
      tenantScopedKey(tenantId, jobId),
      { status: { $in: ['queued', 'running'] } },
      { status: 'running', updatedAt: this.now() },
    );
  }

  markIndexed(tenantId: string, jobId: string, outcome: IndexedOutcome): Promise<JobRecord | null> {
    return this.collection.updateIf(
      tenantScopedKey(tenantId, jobId),
      { status: { $in: ['queued', 'running'] } },
      {
        status: 'indexed',
        ...outcome,
        // A retry may have left the reason of an earlier failed attempt: the job succeeded after all.
        code: null,
        reason: null,
        updatedAt: this.now(),
      },
    );
  }

  markRejected(tenantId: string, jobId: string, code: string, reason: string): Promise<JobRecord | null> {
    return this.collection.updateIf(
      tenantScopedKey(tenantId, jobId),
      { status: { $in: ['queued', 'running'] } },
      { status: 'rejected', code, reason, updatedAt: this.now() },
    );
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
