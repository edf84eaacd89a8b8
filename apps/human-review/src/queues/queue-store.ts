/** A tenant's queues: the default one made on first use, the others an admin's. */
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import { conflict } from '@keel/platform';
import { QueueErrorCode, queueNotFound } from './queue-errors.js';
import { rankOf } from './queue-rank.js';
import {
  DEFAULT_QUEUE_ID,
  defaultQueue,
  QUEUE_LIMITS,
  type QueueRecord,
  type QueueSettings,
  queueRecordId,
} from './review-queue.js';
import { byOrder } from './route-item.js';

export interface QueueStore {
  queues: Collection<QueueRecord>;
  now: () => number;
}

export async function ensureDefaultQueue(store: QueueStore, tenantId: string): Promise<QueueRecord> {
  const id = queueRecordId(tenantId, DEFAULT_QUEUE_ID);
  const existing = await store.queues.get(id);
  if (existing) return existing;
  const created = defaultQueue(tenantId, store.now());
  try {
    await store.queues.insert(created);
    return created;
  } catch (error) {
    // Two first uses at once: the other made it.
    if (!(error instanceof DuplicateKeyError)) throw error;
    return (await store.queues.get(id)) ?? created;
  }
}

/** Every queue of the tenant by `order` (the default among them). */
export async function tenantQueues(store: QueueStore, tenantId: string): Promise<QueueRecord[]> {
  await ensureDefaultQueue(store, tenantId);
  const page = await store.queues.find({
    where: { tenantId },
    orderBy: { field: 'order', direction: 'asc' },
    // More than the limit allows, so that the limit is what stops a tenant, never this page.
    limit: QUEUE_LIMITS.queuesPerTenant + 1,
  });
  return page.items.sort(byOrder);
}

export async function getQueue(store: QueueStore, tenantId: string, queueId: string): Promise<QueueRecord> {
  if (queueId === DEFAULT_QUEUE_ID) return ensureDefaultQueue(store, tenantId);
  const queue = await store.queues.get(queueRecordId(tenantId, queueId));
  if (!queue || queue.tenantId !== tenantId) throw queueNotFound(queueId);
  return queue;
}

export async function createQueue(
  store: QueueStore,
  tenantId: string,
  queueId: string,
  settings: QueueSettings,
): Promise<QueueRecord> {
  await ensureDefaultQueue(store, tenantId);
  if ((await store.queues.count({ tenantId })) >= QUEUE_LIMITS.queuesPerTenant) {
    throw conflict(
      `a tenant has at most ${QUEUE_LIMITS.queuesPerTenant} queues; delete one first`,
      QueueErrorCode.tooMany,
    );
  }
  const now = store.now();
  const queue: QueueRecord = {
    ...settings,
    id: queueRecordId(tenantId, queueId),
    queueId,
    tenantId,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await store.queues.insert(queue);
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
    throw conflict(`queue ${queueId} already exists`, QueueErrorCode.idTaken, 'already_exists');
  }
  return queue;
}

/** Replaces an existing queue's settings (PUT). Items already queued keep their priority and due time. */
export async function updateQueue(
  store: QueueStore,
  tenantId: string,
  queueId: string,
  settings: QueueSettings,
): Promise<QueueRecord> {
  const current = await getQueue(store, tenantId, queueId);
  const updated = await store.queues.updateIf(current.id, { tenantId }, { ...settings, updatedAt: store.now() });
  if (!updated) throw queueNotFound(queueId);
  return updated;
}

/** Where an item stands in `queue`: its priority, due time and claim order. */
export function placementIn(queue: QueueRecord, createdAt: number) {
  const dueAt = createdAt + queue.slaMinutes * 60_000;
  return {
    queueId: queue.queueId,
    priority: queue.basePriority,
    dueAt,
    slaBreachedAt: null,
    rank: rankOf(queue.basePriority, dueAt, createdAt),
    reviewersRequired: queue.reviewersPerItem,
  };
}
