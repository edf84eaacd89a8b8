/** Drift alerts as OpenTelemetry metrics; no-ops unless an exporter is configured. */
import { getMeter } from '@keel/platform';

type Counter = ReturnType<ReturnType<typeof getMeter>['createCounter']>;
type Histogram = ReturnType<ReturnType<typeof getMeter>['createHistogram']>;

// Created on first use, after main.ts started telemetry: an instrument made earlier would stay a no-op.
let alerts: Counter | undefined;
let drops: Histogram | undefined;

export function recordDriftAlert(metric: string, drop: number): void {
  alerts ??= getMeter().createCounter('keel.evaluation.drift.alerts', {
    description: 'Drift alerts raised: a tenant window whose metric fell beyond the threshold',
  });
  drops ??= getMeter().createHistogram('keel.evaluation.drift.drop', {
    description: 'How far a drifted metric moved the wrong way against its baseline window',
    unit: '1',
    advice: { explicitBucketBoundaries: [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1] },
  });
  alerts.add(1, { 'keel.evaluation.metric': metric });
  drops.record(drop, { 'keel.evaluation.metric': metric });
}
