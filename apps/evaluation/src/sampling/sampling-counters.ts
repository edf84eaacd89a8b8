/**
 * What happened to the completions this process consumed, per tenant: scored, sampled out, not
 * scorable. An OpenTelemetry counter carries the same numbers (`keel.evaluation.completions`,
 * attribute `keel.evaluation.outcome`) across replicas; these in-process totals answer
 * `GET /v1/evaluations:stats` since the process started.
 */
import { getMeter } from '@keel/platform';

export type CompletionOutcome = 'scored' | 'sampled-out' | 'not-scorable';

type Counter = ReturnType<ReturnType<typeof getMeter>['createCounter']>;

export interface TenantCounts {
  scored: number;
  sampledOut: number;
  notScorable: number;
}

// Bounded: a flood of made-up tenant ids must not grow memory without end.
const MAX_TENANTS = 10_000;

export class SamplingCounters {
  private readonly perTenant = new Map<string, TenantCounts>();
  private counter: Counter | undefined;
  readonly since: number;

  constructor(now: () => number = Date.now) {
    this.since = now();
  }

  count(tenantId: string, outcome: CompletionOutcome): void {
    // Created on first use, after telemetry started (an earlier instrument stays a no-op).
    this.counter ??= getMeter().createCounter('keel.evaluation.completions', {
      description: 'Completions consumed by evaluation, by outcome (scored, sampled-out, not-scorable)',
    });
    this.counter.add(1, { 'keel.evaluation.outcome': outcome });
    let counts = this.perTenant.get(tenantId);
    if (!counts) {
      if (this.perTenant.size >= MAX_TENANTS) return;
      counts = { scored: 0, sampledOut: 0, notScorable: 0 };
      this.perTenant.set(tenantId, counts);
    }
    if (outcome === 'scored') counts.scored++;
    else if (outcome === 'sampled-out') counts.sampledOut++;
    else counts.notScorable++;
  }

  of(tenantId: string): TenantCounts {
    return { ...(this.perTenant.get(tenantId) ?? { scored: 0, sampledOut: 0, notScorable: 0 }) };
  }
}
