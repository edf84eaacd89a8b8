/**
 * The audit trail: one record per thing a person (or the service on their behalf) did to the
 * queue or to accounts, so a lead can answer "who did what to this item, and when". Records are
 * only ever inserted; reads are tenant-scoped and newest first.
 */
import { randomUUID } from 'node:crypto';
import { type Collection, type CollectionOptions, type Filter, InvalidQueryError, type Page } from '@keel/doc-store';
import { validationError } from '@keel/platform';

export const AUDIT_COLLECTION = 'review_audit';

export const auditCollectionOptions: CollectionOptions = {
  indexes: [
    { fields: ['tenantId', 'at'] },
    { fields: ['tenantId', 'reviewId', 'at'] },
    { fields: ['tenantId', 'actor', 'at'] },
  ],
};

/** What was done; free-form beyond these so that new actions need no schema change. */
export type AuditAction =
  | 'session.signed-in'
  | 'session.sign-in-failed'
  | 'session.signed-out'
  | 'account.created'
  | 'account.updated'
  | 'account.deleted'
  | 'review.claimed'
  | 'review.released'
  | 'review.skipped'
  | 'review.decided'
  | 'review.commented'
  | 'review.sla-breached'
  | 'reviews.bulk'
  | 'queue.created'
  | 'queue.updated'
  | 'queue.deleted'
  | (string & {});

export interface AuditEntry {
  tenantId: string;
  /** The person (account username or API key name), or `system` for the service's own actions. */
  actor: string;
  action: AuditAction;
  reviewId?: string;
  queueId?: string;
  /** What else a reader needs (a skip's reason, a bulk filter and count); never a secret. */
  detail?: Record<string, unknown>;
}

// Type alias, not interface: the store's `Collection<T>` needs T's implicit index signature.
export type AuditRecord = {
  id: string;
  tenantId: string;
  actor: string;
  action: string;
  reviewId: string | null;
  queueId: string | null;
  detail: Record<string, unknown>;
  /** Epoch milliseconds. */
  at: number;
};

export type AuditLog = Collection<AuditRecord>;

export async function recordAudit(log: AuditLog, entry: AuditEntry, at: number): Promise<AuditRecord> {
  const record: AuditRecord = {
    id: randomUUID(),
    tenantId: entry.tenantId,
    actor: entry.actor,
    action: entry.action,
    reviewId: entry.reviewId ?? null,
    queueId: entry.queueId ?? null,
    detail: entry.detail ?? {},
    at,
  };
  await log.insert(record);
  return record;
}

export interface AuditQuery {
  reviewId?: string;
  actor?: string;
  action?: string;
  limit: number;
  cursor?: string;
}

/** One tenant's records, newest first, optionally for one item, person or action. */
export async function listAudit(log: AuditLog, tenantId: string, query: AuditQuery): Promise<Page<AuditRecord>> {
  const where: Filter = { tenantId };
  if (query.reviewId !== undefined) where.reviewId = query.reviewId;
  if (query.actor !== undefined) where.actor = query.actor;
  if (query.action !== undefined) where.action = query.action;
  try {
    return await log.find({
      where,
      orderBy: { field: 'at', direction: 'desc' },
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
  } catch (error) {
    if (error instanceof InvalidQueryError && query.cursor !== undefined) {
      throw validationError([{ field: 'cursor', message: 'not a cursor of this listing' }]);
    }
    throw error;
  }
}

/** The JSON the API returns for a record. */
export function auditView(record: AuditRecord) {
  return {
    id: record.id,
    at: new Date(record.at).toISOString(),
    actor: record.actor,
    action: record.action,
    reviewId: record.reviewId,
    queueId: record.queueId,
    detail: record.detail,
  };
}
