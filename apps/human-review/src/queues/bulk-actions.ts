/**
 * A lead's bulk actions on a filtered selection: release, set priority, move to a queue, reject.
 * The console shows how many items the filter matches and sends that count back as
 * `expectedCount`; when the filter now matches a different number (items came or went), nothing is
 * done and the answer is 409 `REVIEW.BULK_COUNT_MISMATCH`, so a lead never acts on a selection they
 * did not see. Only items the lead may read are matched. Each item changes by its own conditional
 * update: one that changed meanwhile (decided, claimed, moved) is left alone and not counted.
 */
import type { Filter } from '@keel/doc-store';
import { conflict, validationError } from '@keel/platform';
import { type DecideDeps, publishDecision } from '../reviews/decide-review.js';
import {
  decisionsOf,
  effectiveStatus,
  type ReviewDecision,
  type ReviewItem,
  type ReviewStatus,
} from '../reviews/review-item.js';
import { readableBy } from '../reviews/review-store.js';
import type { Reviewer } from '../reviews/reviewer.js';
import { moveItem } from './move-item.js';
import { clampPriority, rankOf } from './queue-rank.js';
import { getQueue } from './queue-store.js';
import type { WorkStore } from './queue-work.js';

export const BULK_LIMITS = { ids: 1_000, matched: 5_000 } as const;

export type BulkActionName = 'release' | 'set-priority' | 'move' | 'reject';

export interface BulkFilter {
  queueId?: string;
  /** As readers see it; absent: every open item (pending and claimed). */
  status?: ReviewStatus;
  reason?: string;
  ids?: string[];
}

export interface BulkRequest {
  filter: BulkFilter;
  action: BulkActionName;
  priority?: number;
  queueId?: string;
  comment?: string;
  expectedCount: number;
}

export interface BulkResult {
  matched: number;
  changed: number;
  /** The ids changed, for the audit trail. */
  changedIds: string[];
}

export type BulkDeps = WorkStore & DecideDeps;

function whereOf(tenantId: string, filter: BulkFilter, now: number): Filter {
  const where: Filter = { tenantId };
  if (filter.queueId !== undefined) where.queueId = filter.queueId;
  if (filter.reason !== undefined) where.reason = filter.reason;
  if (filter.ids !== undefined) where.id = { $in: filter.ids };
  switch (filter.status) {
    case undefined:
      where.status = { $in: ['pending', 'claimed'] };
      break;
    case 'pending':
      where.$or = [{ status: 'pending' }, { status: 'claimed', leaseExpiresAt: { $lte: now } }];
      break;
    case 'claimed':
      where.status = 'claimed';
      where.leaseExpiresAt = { $gt: now };
      break;
    case 'decided':
      where.status = 'decided';
  }
  return where;
}

/** Every item the filter matches that the lead may read (at most BULK_LIMITS.matched + 1, to tell "too many"). */
export async function selectForBulk(deps: WorkStore, lead: Reviewer, filter: BulkFilter): Promise<ReviewItem[]> {
  const where = whereOf(lead.tenantId, filter, deps.now());
  const selected: ReviewItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.reviews.find({ where, limit: 1000, ...(cursor ? { cursor } : {}) });
    selected.push(...page.items.filter((item) => readableBy(lead, item)));
    cursor = page.nextCursor;
  } while (cursor && selected.length <= BULK_LIMITS.matched);
  return selected;
}

const OPEN = { $in: ['pending', 'claimed'] };

async function applyTo(deps: BulkDeps, lead: Reviewer, request: BulkRequest, item: ReviewItem): Promise<boolean> {
  const now = deps.now();
  const status = effectiveStatus(item, now);
  if (status === 'decided') return false;
  const version = Math.max(now, item.updatedAt + 1);
  const unchanged = { tenantId: item.tenantId, status: item.status, updatedAt: item.updatedAt };
  switch (request.action) {
    case 'release': {
      if (status !== 'claimed') return false;
      const released = await deps.reviews.updateIf(item.id, unchanged, {
        status: 'pending',
        claimedBy: null,
        leaseExpiresAt: null,
        updatedAt: version,
      });
      return released !== null;
    }
    case 'set-priority': {
      const priority = clampPriority(request.priority ?? 0);
      if (item.priority === priority) return false;
      const dueAt = item.dueAt ?? item.createdAt;
      const set = await deps.reviews.updateIf(
        item.id,
        { ...unchanged, status: OPEN },
        { priority, rank: rankOf(priority, dueAt, item.createdAt), updatedAt: version },
      );
      return set !== null;
    }
    case 'move': {
      if (item.queueId === request.queueId) return false;
      const queue = await getQueue(deps, lead.tenantId, request.queueId ?? '');
      return (await moveItem(deps, item, queue)) !== null;
    }
    case 'reject': {
      // A lead's rejection stands on its own: it ends the item whatever reviewers it still awaited.
      const decision: ReviewDecision = {
        outcome: 'rejected',
        correctedAnswer: null,
        comment: request.comment ?? null,
        reviewer: lead.name,
        decidedAt: now,
      };
      const decisions = [...decisionsOf(item), decision];
      const decided = await deps.reviews.updateIf(item.id, unchanged, {
        status: 'decided',
        decision,
        decisions,
        decisionCount: decisions.length,
        decidedAt: now,
        claimedBy: item.status === 'claimed' ? item.claimedBy : null,
        leaseExpiresAt: null,
        decisionPublishedAt: null,
        updatedAt: version,
      });
      if (!decided) return false;
      await publishDecision(deps, decided);
      return true;
    }
  }
}

export async function runBulkAction(deps: BulkDeps, lead: Reviewer, request: BulkRequest): Promise<BulkResult> {
  if (request.action === 'move') await getQueue(deps, lead.tenantId, request.queueId ?? '');
  const selected = await selectForBulk(deps, lead, request.filter);
  if (selected.length > BULK_LIMITS.matched) {
    throw validationError(
      [{ field: 'filter', message: `matches more than ${BULK_LIMITS.matched} items; narrow it` }],
      undefined,
      'REVIEW.BULK_TOO_MANY',
    );
  }
  if (selected.length !== request.expectedCount) {
    throw conflict(
      `the filter now matches ${selected.length} items, not ${request.expectedCount}: count again, then confirm`,
      'REVIEW.BULK_COUNT_MISMATCH',
    );
  }
  const changedIds: string[] = [];
  for (const item of selected) {
    if (await applyTo(deps, lead, request, item)) changedIds.push(item.id);
  }
  return { matched: selected.length, changed: changedIds.length, changedIds };
}
