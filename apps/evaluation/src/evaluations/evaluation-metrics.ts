/**
 * Domain metrics: the distribution of groundedness per model, and how often it passes. A no-op
 * unless a metrics exporter is configured (see @keel/platform's telemetry).
 */
import { getMeter } from '@keel/platform';

type Histogram = ReturnType<ReturnType<typeof getMeter>['createHistogram']>;

// Created on first use, after main.ts started telemetry: an instrument made earlier would stay a no-op.
let groundedness: Histogram | undefined;

export function recordGroundedness(value: number, attributes: { model: string; passed: boolean }): void {
  groundedness ??= getMeter().createHistogram('keel.evaluation.groundedness', {
    description: 'Groundedness of served answers (supported claims / claims)',
    unit: '1',
    advice: { explicitBucketBoundaries: [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1] },
  });
  groundedness.record(value, {
    'gen_ai.request.model': attributes.model || 'unknown',
    'keel.evaluation.passed': attributes.passed,
  });
}
