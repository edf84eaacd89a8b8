/**
 * The queues: every reader lists them with their counts; admins create, replace and delete them
 * (the admin key with `?tenant=`); reviewers claim the next item of one; leads read its agreement.
 */
import { asyncRoute, conflict, parseBody, z } from '@keel/platform';
import express from 'express';
import { recordAudit } from '../audit/audit-log.js';
import { claimNext } from '../queues/claim-next.js';
import { QueueErrorCode } from '../queues/queue-errors.js';
import { createQueueSchema, queueIdFromName, queueSettingsSchema, settingsOf } from '../queues/queue-schema.js';
import { createQueue, getQueue, type QueueStore, tenantQueues, updateQueue } from '../queues/queue-store.js';
import { deleteQueue, queueAgreement, queueCounts, type WorkStore } from '../queues/queue-work.js';
import { DEFAULT_QUEUE_ID, type QueueRecord } from '../queues/review-queue.js';
import { sweepSla } from '../queues/sla-sweep.js';
import { MAX_LEASE_SECONDS } from '../reviews/review-item.js';
import type { ReviewStore } from '../reviews/review-store.js';
import { reviewView } from './review-view.js';
import { readerOf, requireRole, reviewerOf } from './reviewer-identity.js';
import { queueIdOf } from './route-params.js';

export interface QueueRoutesDeps extends WorkStore {
  leaseSeconds: number;
}

export const claimNextBody = z.object({
  leaseSeconds: z.number().int().min(1).max(MAX_LEASE_SECONDS).optional(),
});

export function queueView(queue: QueueRecord) {
  return {
    id: queue.queueId,
    tenantId: queue.tenantId,
    name: queue.name,
    description: queue.description,
    match: queue.match,
    order: queue.order,
    basePriority: queue.basePriority,
    slaMinutes: queue.slaMinutes,
    reviewersPerItem: queue.reviewersPerItem,
    rubric: queue.rubric,
    createdAt: new Date(queue.createdAt).toISOString(),
    updatedAt: new Date(queue.updatedAt).toISOString(),
  };
}

async function withCounts(store: ReviewStore, queue: QueueRecord) {
  return { ...queueView(queue), counts: await queueCounts(store, queue.tenantId, queue.queueId) };
}

/** Leases the next item for the caller; shared by the per-queue and the across-queues route. */
export async function claimNextFor(
  deps: QueueRoutesDeps,
  res: express.Response,
  options: { queueId?: string; leaseSeconds?: number },
): Promise<void> {
  const reviewer = reviewerOf(res);
  // The check on read: what ran out of time since the last sweep moves up before the pick.
  await sweepSla(deps, reviewer.tenantId);
  const item = await claimNext(deps, reviewer, {
    ...(options.queueId !== undefined ? { queueId: options.queueId } : {}),
    leaseMs: (options.leaseSeconds ?? deps.leaseSeconds) * 1000,
  });
  if (!item) {
    res.status(204).end();
    return;
  }
  const queueId = item.queueId ?? DEFAULT_QUEUE_ID;
  await recordAudit(
    deps.audit,
    {
      tenantId: item.tenantId,
      actor: reviewer.name,
      action: 'review.claimed',
      reviewId: item.id,
      queueId,
      detail: { via: 'claim-next' },
    },
    deps.now(),
  );
  res.json(reviewView(item, deps.now()));
}

export function queueRoutes(deps: QueueRoutesDeps): express.Router {
  const router = express.Router();
  const queues: QueueStore = deps;

  router.get(
    '/v1/queues',
    asyncRoute(async (_req, res) => {
      const reader = readerOf(res);
      await sweepSla(deps, reader.tenantId);
      const all = await tenantQueues(queues, reader.tenantId);
      res.json({ items: await Promise.all(all.map((queue) => withCounts(deps, queue))) });
    }),
  );

  router.post(
    '/v1/queues',
    asyncRoute(async (req, res) => {
      const admin = requireRole(res, 'admin');
      const body = parseBody(createQueueSchema, req.body);
      const queueId = body.id ?? queueIdFromName(body.name);
      if (queueId === DEFAULT_QUEUE_ID) {
        throw conflict(
          'every tenant has the queue default already; change it with PUT',
          QueueErrorCode.idTaken,
          'already_exists',
        );
      }
      const queue = await createQueue(queues, admin.tenantId, queueId, settingsOf(body));
      await recordAudit(
        deps.audit,
        { tenantId: admin.tenantId, actor: admin.name, action: 'queue.created', queueId, detail: { name: queue.name } },
        deps.now(),
      );
      res.status(201).json(await withCounts(deps, queue));
    }),
  );

  router.get(
    '/v1/queues/:id',
    asyncRoute(async (req, res) => {
      const reader = readerOf(res);
      const queue = await getQueue(queues, reader.tenantId, queueIdOf(req));
      await sweepSla(deps, reader.tenantId);
      res.json(await withCounts(deps, queue));
    }),
  );

  router.put(
    '/v1/queues/:id',
    asyncRoute(async (req, res) => {
      const admin = requireRole(res, 'admin');
      const queueId = queueIdOf(req);
      const body = parseBody(queueSettingsSchema, req.body);
      const queue = await updateQueue(queues, admin.tenantId, queueId, settingsOf(body));
      await recordAudit(
        deps.audit,
        { tenantId: admin.tenantId, actor: admin.name, action: 'queue.updated', queueId, detail: { name: queue.name } },
        deps.now(),
      );
      res.json(await withCounts(deps, queue));
    }),
  );

  router.delete(
    '/v1/queues/:id',
    asyncRoute(async (req, res) => {
      const admin = requireRole(res, 'admin');
      const queueId = queueIdOf(req);
      const queue = await deleteQueue(deps, admin.tenantId, queueId);
      await recordAudit(
        deps.audit,
        { tenantId: admin.tenantId, actor: admin.name, action: 'queue.deleted', queueId, detail: { name: queue.name } },
        deps.now(),
      );
      res.status(204).end();
    }),
  );

  router.post(
    '/v1/queues/:id/claim-next',
    asyncRoute(async (req, res) => {
      const queueId = queueIdOf(req);
      const body = parseBody(claimNextBody, req.body ?? {});
      // An unknown queue is a 404, not an empty one.
      await getQueue(queues, readerOf(res).tenantId, queueId);
      await claimNextFor(deps, res, {
        queueId,
        ...(body.leaseSeconds !== undefined ? { leaseSeconds: body.leaseSeconds } : {}),
      });
    }),
  );

  router.get(
    '/v1/queues/:id/agreement',
    asyncRoute(async (req, res) => {
      const lead = requireRole(res, 'lead');
      res.json(await queueAgreement(deps, lead.tenantId, queueIdOf(req)));
    }),
  );

  return router;
}
