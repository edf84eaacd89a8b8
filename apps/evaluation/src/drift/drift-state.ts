/**
 * What drift keeps per tenant (collection `drift_states`, id = tenant id), so that windows survive
 * a restart and replicas share them: the open window, the last closed one (the baseline), the
 * alerts raised but not yet published (an outbox, so a crash between the two loses none), the
 * last alerts for the stats route, and the request ids counted lately (a redelivery is not
 * counted twice). Every write is conditional on `revision`, so concurrent consumers (partitions,
 * replicas) never lose each other's answers.
 *
 * Sampled exchanges (collection `drift_samples`) hold what a review request needs (question,
 * answer, citations, contexts) for the answers in a window's sample; they expire after
 * DRIFT_SAMPLE_RETENTION_MS.
 */
import { createHash } from 'node:crypto';
import type { Citation } from '@keel/contracts/common/v1';
import type { ContextChunk } from '@keel/contracts/events/v1/inference';
import type { CollectionOptions } from '@keel/doc-store';
import type { GroupRequirement } from '@keel/platform';
import type { DriftMetric, WindowAccumulator, WindowSummary } from './drift-window.js';

export const DRIFT_STATES_COLLECTION = 'drift_states';
export const DRIFT_SAMPLES_COLLECTION = 'drift_samples';

export const DRIFT_SAMPLE_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;
/** Request ids remembered against redelivery: far more than can be in flight at once. */
export const RECENT_REQUESTS = 512;
/** Alerts kept for the stats route. */
export const RECENT_ALERTS = 20;

export const driftSamplesCollectionOptions: CollectionOptions = { ttlField: 'expiresAt' };

export type DriftAlertRecord = {
  alertId: string;
  metric: DriftMetric;
  window: Omit<WindowSummary, 'sample'>;
  baseline: Omit<WindowSummary, 'sample'>;
  drop: number;
  threshold: number;
  /** The window's sampled request ids, and the review ids asked for them. */
  sampleRequestIds: string[];
  reviewIds: string[];
  detectedAt: number;
};

export type DriftState = {
  id: string;
  tenantId: string;
  revision: number;
  current: WindowAccumulator;
  baseline: WindowSummary | null;
  /** Raised, not yet published: published (again) by the next observation until it succeeds. */
  pending: DriftAlertRecord[];
  recentAlerts: DriftAlertRecord[];
  recentRequestIds: string[];
  updatedAt: number;
};

export type DriftSample = {
  /** sampleIdOf(tenant, request). */
  id: string;
  tenantId: string;
  requestId: string;
  traceId: string;
  question: string;
  answer: string;
  citations: Citation[];
  contexts: ContextChunk[];
  readRequires: GroupRequirement[];
  groundedness: number;
  expiresAt: number;
};

export function sampleIdOf(tenantId: string, requestId: string): string {
  return createHash('sha256').update(`keel-drift-sample\0${tenantId}\0${requestId}`).digest('hex');
}
