/**
 * Feeds every scored answer into its tenant's drift window and, when a window closes below its
 * baseline, raises the alert: `keel.evaluation.drift.v1`, an OpenTelemetry metric, and a review
 * request (reason DRIFT) for each answer of the window's sample.
 *
 * Exactly once per window and metric, however events are redelivered or replicas race:
 * - an answer is counted once: the state remembers the last RECENT_REQUESTS request ids, and the
 *   state write is conditional on the revision it read (a lost race re-reads and re-applies);
 * - an alert is decided in the same write that closes the window, and kept in the state's
 *   outbox (`pending`) until published: a crash before publishing leaves it for the next
 *   observation, never drops it, and the ids (alert id, review ids) are derived from (tenant,
 *   window, metric / request), so publishing twice is deduplicated downstream;
 * - a window that drifted becomes the next baseline, so a lasting drop alerts once, not at
 *   every window (no alert storms).
 */
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { ReviewReason } from '@keel/contracts/review/v1';
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import type { EventPublisher } from '@keel/event-bus';
import type { Logger } from '@keel/platform';
import type { EvaluationRecord } from '../evaluations/evaluation-record.js';
import { reviewIdFor } from '../evaluations/review-id.js';
import { samplePoint } from '../sampling/sampling-decision.js';
import type { DriftConfig } from './drift-config.js';
import { recordDriftAlert } from './drift-metrics.js';
import {
  DRIFT_SAMPLE_RETENTION_MS,
  type DriftAlertRecord,
  type DriftSample,
  type DriftState,
  RECENT_ALERTS,
  RECENT_REQUESTS,
  sampleIdOf,
} from './drift-state.js';
import {
  addObservation,
  type DriftObservation,
  emptyWindow,
  findDrifts,
  isFull,
  startsNewWindow,
  summarize,
  type WindowSummary,
} from './drift-window.js';

export interface DriftTrackerDeps {
  states: Collection<DriftState>;
  samples: Collection<DriftSample>;
  publisher: Pick<EventPublisher, 'publish'>;
  config: DriftConfig;
  logger: Logger;
  now?: () => number;
}

// A conditional write lost to a concurrent one is retried on a fresh read; this many losses in a
// row means something is badly wrong (the event is then retried by the bus).
const MAX_WRITE_ATTEMPTS = 50;

export function observationOf(record: EvaluationRecord, contextCount: number): DriftObservation {
  const scores: Record<string, number> = {};
  // Measurements (latency, cost) carry a unit and are not drift material.
  for (const score of record.scores) if (score.unit === undefined) scores[score.metric] = score.value;
  return {
    requestId: record.requestId,
    at: record.createdAt,
    scores,
    refused: record.abstained,
    retrievalHit: contextCount > 0,
    // Salted apart from the scoring sample, so the review sample is uniform over scored answers.
    rank: samplePoint(record.tenantId, `drift\u0000${record.requestId}`),
  };
}

function withoutSample(summary: WindowSummary): Omit<WindowSummary, 'sample'> {
  const { sample: _sample, ...rest } = summary;
  return rest;
}

function alertIdOf(tenantId: string, windowIndex: number, metric: string): string {
  return reviewIdFor(tenantId, `drift-window-${windowIndex}`, `DRIFT_ALERT:${metric}`);
}

interface Applied {
  state: DriftState;
  sampled: boolean;
}

export class DriftTracker {
  private readonly now: () => number;

  constructor(private readonly deps: DriftTrackerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Counts one scored answer (once) and publishes whatever alert is due. */
  async observe(record: EvaluationRecord, event: InferenceCompleted): Promise<void> {
    const observation = observationOf(record, event.contexts.length);
    let keptSample = false;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const stored = await this.deps.states.get(record.tenantId);
      if (stored?.recentRequestIds.includes(record.requestId)) {
        await this.flush(stored);
        return;
      }
      const applied = this.apply(stored ?? this.fresh(record.tenantId), observation);
      // The exchange is kept before the state names it in a sample, so a named sample has it.
      if (applied.sampled && !keptSample) {
        await this.keepSample(record, event);
        keptSample = true;
      }
      const { id: _id, ...changes } = applied.state;
      const written = stored
        ? await this.deps.states.updateIf(stored.id, { revision: stored.revision }, changes)
        : await this.insert(applied.state);
      if (written) {
        await this.flush(written);
        return;
      }
    }
    throw new Error(`drift state of tenant ${record.tenantId}: too many concurrent writes`);
  }

  private fresh(tenantId: string): DriftState {
    return {
      id: tenantId,
      tenantId,
      revision: 0,
      current: emptyWindow(0),
      baseline: null,
      pending: [],
      recentAlerts: [],
      recentRequestIds: [],
      updatedAt: this.now(),
    };
  }

  private async insert(state: DriftState): Promise<DriftState | null> {
    try {
      await this.deps.states.insert(state);
      return state;
    } catch (error) {
      if (error instanceof DuplicateKeyError) return null;
      throw error;
    }
  }

  /** The state after one more answer: the window it joins, closed and judged when complete. */
  apply(state: DriftState, observation: DriftObservation): Applied {
    const { window: spec, reviewSample } = this.deps.config;
    let next: DriftState = {
      ...state,
      revision: state.revision + 1,
      recentRequestIds: [...state.recentRequestIds, observation.requestId].slice(-RECENT_REQUESTS),
      updatedAt: this.now(),
    };
    if (startsNewWindow(spec, next.current, observation)) next = this.close(next);
    const added = addObservation(spec, next.current, observation, reviewSample);
    next = { ...next, current: added.window };
    if (isFull(spec, next.current)) next = this.close(next);
    return { state: next, sampled: added.sampled };
  }

  private close(state: DriftState): DriftState {
    const { threshold, minAnswers } = this.deps.config;
    const closed = summarize(state.current);
    const next: DriftState = { ...state, current: emptyWindow(closed.index + 1) };
    // Too few answers to judge, and too few to judge by: the older baseline stays.
    if (closed.count < minAnswers) return next;
    next.baseline = closed;
    if (!state.baseline) return next;
    const drifts = findDrifts(state.baseline, closed, threshold, minAnswers);
    if (drifts.length === 0) return next;
    const sampleRequestIds = closed.sample.map((entry) => entry.requestId);
    const reviewIds = sampleRequestIds.map((requestId) => reviewIdFor(state.tenantId, requestId, 'DRIFT'));
    const detectedAt = this.now();
    const alerts: DriftAlertRecord[] = drifts.map((drift) => ({
      alertId: alertIdOf(state.tenantId, closed.index, drift.metric),
      metric: drift.metric,
      window: withoutSample(closed),
      baseline: withoutSample(state.baseline as WindowSummary),
      drop: drift.drop,
      threshold,
      sampleRequestIds,
      reviewIds,
      detectedAt,
    }));
    next.pending = [...state.pending, ...alerts];
    next.recentAlerts = [...state.recentAlerts, ...alerts].slice(-RECENT_ALERTS);
    return next;
  }

  private async keepSample(record: EvaluationRecord, event: InferenceCompleted): Promise<void> {
    await this.deps.samples.upsert({
      id: sampleIdOf(record.tenantId, record.requestId),
      tenantId: record.tenantId,
      requestId: record.requestId,
      traceId: record.traceId,
      question: event.question,
      answer: event.answer,
      citations: event.citations,
      contexts: event.contexts,
      readRequires: record.readRequires,
      groundedness: record.groundedness,
      expiresAt: this.now() + DRIFT_SAMPLE_RETENTION_MS,
    });
  }

  /** Publishes the outbox, then empties it (conditionally: a concurrent flush may have done it). */
  private async flush(state: DriftState): Promise<void> {
    if (state.pending.length === 0) return;
    const reviewed = new Set<string>();
    for (const alert of state.pending) {
      const key = alert.reviewIds.join(',');
      if (!reviewed.has(key)) {
        await this.requestReviews(state.tenantId, alert, state.pending);
        reviewed.add(key);
      }
      await this.publishAlert(state.tenantId, alert);
      recordDriftAlert(alert.metric, alert.drop);
      this.deps.logger.warn(
        { tenantId: state.tenantId, metric: alert.metric, drop: alert.drop, window: alert.window.index },
        'evaluation drift detected',
      );
    }
    const published = new Set(state.pending.map((alert) => alert.alertId));
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.deps.states.get(state.id);
      if (!current?.pending.some((alert) => published.has(alert.alertId))) return;
      const done = await this.deps.states.updateIf(
        current.id,
        { revision: current.revision },
        {
          revision: current.revision + 1,
          pending: current.pending.filter((alert) => !published.has(alert.alertId)),
        },
      );
      if (done) return;
    }
  }

  private async requestReviews(tenantId: string, alert: DriftAlertRecord, window: DriftAlertRecord[]): Promise<void> {
    const metrics = window
      .filter((other) => other.window.index === alert.window.index)
      .map((other) => `${other.metric} ${other.baseline.values[other.metric]} → ${other.window.values[other.metric]}`)
      .join(', ');
    for (const [position, requestId] of alert.sampleRequestIds.entries()) {
      const sample = await this.deps.samples.get(sampleIdOf(tenantId, requestId));
      const reviewId = alert.reviewIds[position];
      if (!sample || !reviewId) {
        this.deps.logger.warn({ tenantId, requestId }, 'drift sample expired before its review was requested');
        continue;
      }
      await this.deps.publisher.publish(
        'keel.review.requested.v1',
        {
          reviewId,
          tenantId,
          requestId,
          traceId: sample.traceId,
          reason: ReviewReason.REVIEW_REASON_DRIFT,
          detail: `drift: window ${alert.window.index} of ${alert.window.count} answers fell against the previous window (${metrics}); this answer is one of a sample of ${alert.sampleRequestIds.length}`,
          question: sample.question,
          answer: sample.answer,
          citations: sample.citations,
          contexts: sample.contexts,
          score: sample.groundedness,
          requestedBy: 'evaluation',
          requestedAt: new Date(alert.detectedAt),
          // The contexts keep their own ACL groups; the item as a whole needs all of them.
          readRequires: sample.readRequires,
        },
        { idempotencyKey: reviewId },
      );
    }
  }

  private async publishAlert(tenantId: string, alert: DriftAlertRecord): Promise<void> {
    const window = (summary: Omit<WindowSummary, 'sample'>) => ({
      start: new Date(summary.start),
      end: new Date(summary.end),
      count: summary.count,
      value: summary.values[alert.metric] ?? 0,
    });
    await this.deps.publisher.publish(
      'keel.evaluation.drift.v1',
      {
        alertId: alert.alertId,
        tenantId,
        metric: alert.metric,
        window: window(alert.window),
        baseline: window(alert.baseline),
        drop: alert.drop,
        threshold: alert.threshold,
        reviewIds: alert.reviewIds,
        detectedAt: new Date(alert.detectedAt),
      },
      { idempotencyKey: alert.alertId },
    );
  }

  /** For the stats route: the tenant's open window, baseline and last alerts. */
  async stateOf(tenantId: string): Promise<DriftState | null> {
    return this.deps.states.get(tenantId);
  }
}
