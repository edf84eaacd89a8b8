/**
 * SLAs: an open item still undecided at its `dueAt` is marked breached, once: its priority rises
 * by 10 (at most 100) so claim next offers it sooner, `slaBreachedAt` is set, the counter
 * `keel_review_sla_breached_total{queue}` counts it and the audit trail records it. A sweep runs
 * every 30 seconds (startSlaSweeper, stopped by the service's shutdown) and before each claim next
 * and item read, so a breach is never missed between two sweeps.
 */
import type { Filter } from '@keel/doc-store';
import type { Logger } from '@keel/platform';
import { type AuditLog, recordAudit } from '../audit/audit-log.js';
import type { ReviewItem } from '../reviews/review-item.js';
import type { ReviewStore } from '../reviews/review-store.js';
import { clampPriority, rankOf } from './queue-rank.js';
import { DEFAULT_QUEUE_ID } from './review-queue.js';
import { countSlaBreach } from './sla-metrics.js';

export const SLA_BREACH_PRIORITY_BUMP = 10;
export const SLA_SWEEP_INTERVAL_MS = 30_000;
const SWEEP_BATCH = 200;
const MAX_BATCHES = 50;

export interface SlaDeps {
  reviews: ReviewStore['reviews'];
  audit: AuditLog;
  now: () => number;
}

/** Marks one item breached if it is open, past due and not yet marked; returns the marked item. */
export async function breachIfDue(deps: SlaDeps, item: ReviewItem): Promise<ReviewItem> {
  const now = deps.now();
  if (item.status === 'decided' || item.dueAt === undefined || item.dueAt > now || item.slaBreachedAt) return item;
  const priority = clampPriority((item.priority ?? 0) + SLA_BREACH_PRIORITY_BUMP);
  const marked = await deps.reviews.updateIf(
    item.id,
    // The priority it was raised from: a lead's change meanwhile wins, the next sweep raises that.
    { status: { $in: ['pending', 'claimed'] }, slaBreachedAt: null, priority: item.priority ?? null },
    { slaBreachedAt: now, priority, rank: rankOf(priority, item.dueAt, item.createdAt) },
  );
  // Someone else marked it, or it was decided meanwhile: what is stored stands.
  if (!marked) return (await deps.reviews.get(item.id)) ?? item;
  const queueId = marked.queueId ?? DEFAULT_QUEUE_ID;
  countSlaBreach(queueId);
  await recordAudit(
    deps.audit,
    {
      tenantId: marked.tenantId,
      actor: 'system',
      action: 'review.sla-breached',
      reviewId: marked.id,
      queueId,
      detail: { dueAt: new Date(item.dueAt).toISOString(), priority },
    },
    now,
  );
  return marked;
}

/** Marks every open item past due (of one tenant, or all); returns how many it marked. */
export async function sweepSla(deps: SlaDeps, tenantId?: string): Promise<number> {
  let marked = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const where: Filter = {
      status: { $in: ['pending', 'claimed'] },
      slaBreachedAt: null,
      dueAt: { $lte: deps.now() },
      ...(tenantId !== undefined ? { tenantId } : {}),
    };
    const page = await deps.reviews.find({ where, orderBy: { field: 'dueAt', direction: 'asc' }, limit: SWEEP_BATCH });
    for (const item of page.items) {
      if ((await breachIfDue(deps, item)).slaBreachedAt) marked++;
    }
    if (!page.nextCursor) break;
  }
  return marked;
}

export interface Sweeper {
  stop(): Promise<void>;
}

/** Runs `sweep` every `intervalMs` (never two at once); stop() waits for a sweep in flight. */
export function startSweeper(
  sweep: () => Promise<unknown>,
  logger: Logger,
  intervalMs = SLA_SWEEP_INTERVAL_MS,
): Sweeper {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = sweep()
      .then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error }, 'review SLA sweep failed; the next one tries again'),
      )
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
