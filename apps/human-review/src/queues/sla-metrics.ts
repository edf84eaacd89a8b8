/** `keel_review_sla_breached_total{queue}`: items whose SLA ran out before anyone decided them. */
import { getMeter } from '@keel/platform';

type Counter = ReturnType<ReturnType<typeof getMeter>['createCounter']>;

// Created on first use, after main.ts started telemetry: an instrument made earlier would stay a no-op.
let breached: Counter | undefined;

export function countSlaBreach(queueId: string): void {
  breached ??= getMeter().createCounter('keel_review_sla_breached_total', {
    description: 'Review items still open when their queue SLA ran out',
    unit: '{item}',
  });
  breached.add(1, { queue: queueId });
}
