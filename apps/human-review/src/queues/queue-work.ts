/**
 * What a queue holds and how its reviewers agree: counts for the console, a reviewer's own
 * progress, Krippendorff's alpha per queue, and deleting a queue (its open items routed again).
 */
import type { Filter } from '@keel/doc-store';
import { conflict } from '@keel/platform';
import type { AuditLog } from '../audit/audit-log.js';
import { decisionsOf, type ReviewItem } from '../reviews/review-item.js';
import type { ReviewStore } from '../reviews/review-store.js';
import type { Reviewer } from '../reviews/reviewer.js';
import { krippendorffAlpha } from './krippendorff-alpha.js';
import { moveItem } from './move-item.js';
import { QueueErrorCode } from './queue-errors.js';
import { getQueue, type QueueStore, tenantQueues } from './queue-store.js';
import { DEFAULT_QUEUE_ID, type QueueRecord } from './review-queue.js';
import { routeItem } from './route-item.js';

export interface WorkStore extends ReviewStore {
  queues: QueueStore['queues'];
  audit: AuditLog;
}

const DAY_MS = 86_400_000;

export function startOfUtcDay(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

/** Monday 00:00 UTC of the week of `now`. */
export function startOfUtcWeek(now: number): number {
  const day = startOfUtcDay(now);
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  return day - weekday * DAY_MS;
}

const openWhere = (now: number): Filter[] => [
  { status: 'pending' },
  { status: 'claimed', leaseExpiresAt: { $lte: now } },
];

export interface QueueCounts {
  pending: number;
  claimed: number;
  breached: number;
  decidedToday: number;
}

/** Counts of the whole queue (numbers only: no item, so no read check). */
export async function queueCounts(store: ReviewStore, tenantId: string, queueId: string): Promise<QueueCounts> {
  const now = store.now();
  const base = { tenantId, queueId };
  const [pending, claimed, breached, decidedToday] = await Promise.all([
    store.reviews.count({ ...base, $or: openWhere(now) }),
    store.reviews.count({ ...base, status: 'claimed', leaseExpiresAt: { $gt: now } }),
    store.reviews.count({ ...base, status: { $in: ['pending', 'claimed'] }, slaBreachedAt: { $exists: true } }),
    store.reviews.count({ ...base, status: 'decided', decidedAt: { $gte: startOfUtcDay(now) } }),
  ]);
  return { pending, claimed, breached, decidedToday };
}

export interface Progress {
  decidedToday: number;
  decidedThisWeek: number;
  claimed: string[];
  queues: { queueId: string; pending: number; breached: number }[];
}

const MAX_CLAIMED_LISTED = 100;

/** A reviewer's own work: decisions (from the audit trail) today and this week, what they hold, and the queues. */
export async function progressOf(store: WorkStore, reviewer: Reviewer): Promise<Progress> {
  const now = store.now();
  const decided = (since: number) =>
    store.audit.count({
      tenantId: reviewer.tenantId,
      actor: reviewer.name,
      action: 'review.decided',
      at: { $gte: since },
    });
  const [decidedToday, decidedThisWeek, held, queues] = await Promise.all([
    decided(startOfUtcDay(now)),
    decided(startOfUtcWeek(now)),
    store.reviews.find({
      where: { tenantId: reviewer.tenantId, status: 'claimed', claimedBy: reviewer.name, leaseExpiresAt: { $gt: now } },
      orderBy: { field: 'leaseExpiresAt', direction: 'asc' },
      limit: MAX_CLAIMED_LISTED,
    }),
    tenantQueues(store, reviewer.tenantId),
  ]);
  const counts = await Promise.all(
    queues.map(async (queue) => {
      const { pending, breached } = await queueCounts(store, reviewer.tenantId, queue.queueId);
      return { queueId: queue.queueId, pending, breached };
    }),
  );
  return { decidedToday, decidedThisWeek, claimed: held.items.map((item) => item.id), queues: counts };
}

export interface Agreement {
  queueId: string;
  items: number;
  alpha: number | null;
  byRubric: Record<string, number | null>;
}

/** The most items one agreement reads (the newest decided); more would make the answer slow, not better. */
export const AGREEMENT_MAX_ITEMS = 10_000;

/** Krippendorff's alpha over the queue's items decided by two or more reviewers: nominal on outcome, interval per rubric score. */
export async function queueAgreement(store: WorkStore, tenantId: string, queueId: string): Promise<Agreement> {
  const queue = await getQueue(store, tenantId, queueId);
  const items: ReviewItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.reviews.find({
      where: { tenantId, queueId, decisionCount: { $gte: 2 } },
      orderBy: { field: 'updatedAt', direction: 'desc' },
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < AGREEMENT_MAX_ITEMS);
  const decisions = items.slice(0, AGREEMENT_MAX_ITEMS).map((item) => decisionsOf(item));
  const byRubric: Record<string, number | null> = {};
  for (const score of queue.rubric.scores) {
    const units = decisions.map((each) =>
      each
        .map((decision) => decision.rubric?.scores?.[score.key])
        .filter((value): value is number => typeof value === 'number'),
    );
    byRubric[score.key] = krippendorffAlpha(units, 'interval');
  }
  return {
    queueId,
    items: decisions.length,
    alpha: krippendorffAlpha(
      decisions.map((each) => each.map((decision) => decision.outcome)),
      'nominal',
    ),
    byRubric,
  };
}

/** Deletes a queue (never `default`); its open items are routed again among the queues that remain. */
export async function deleteQueue(store: WorkStore, tenantId: string, queueId: string): Promise<QueueRecord> {
  if (queueId === DEFAULT_QUEUE_ID) {
    throw conflict(
      'the default queue takes what no other queue matches; it cannot be deleted',
      QueueErrorCode.defaultUndeletable,
    );
  }
  const queue = await getQueue(store, tenantId, queueId);
  await store.queues.delete(queue.id);
  const remaining = await tenantQueues(store, tenantId);
  // Each moved item leaves the filter, so every batch reads from the start; a bound stops a loop on a racing writer.
  for (let batch = 0; batch < 1000; batch++) {
    const page = await store.reviews.find({
      where: { tenantId, queueId, status: { $in: ['pending', 'claimed'] } },
      limit: 200,
    });
    if (page.items.length === 0) break;
    for (const item of page.items) await moveItem(store, item, routeItem(remaining, item));
  }
  return queue;
}
