/**
 * Wiring of the in-process evaluation (KEEL_POLICY_EVALUATION=in-process), for compose.ts: the
 * snapshot sync fed by the policy service, the audit publisher and the gate.
 */
import { type EventBus, EventPublisher, ensureKeelTopics } from '@keel/event-bus';
import type { Logger } from '@keel/platform';
import type { PolicyGate } from '../answering/policy-gate.js';
import { createDecisionAudit } from './decision-audit.js';
import { createInProcessPolicyGate } from './in-process-policy-gate.js';
import { createPolicySnapshotSync, type FetchPolicies, type PolicySnapshotSync } from './policy-snapshot-sync.js';

export interface InProcessPolicy {
  gate: PolicyGate;
  sync: PolicySnapshotSync;
}

export async function startInProcessPolicy(deps: {
  bus: EventBus;
  fetchPolicies: FetchPolicies;
  refreshMs: number;
  logger: Logger;
  /** Used while the policy service cannot list policies (an older version, mid-upgrade). */
  remote: PolicyGate;
}): Promise<InProcessPolicy> {
  // The change topic must exist before it is followed (the service ensures the rest again, idempotently).
  await ensureKeelTopics(deps.bus);
  const sync = createPolicySnapshotSync({
    bus: deps.bus,
    fetchPolicies: deps.fetchPolicies,
    logger: deps.logger,
    refreshMs: deps.refreshMs,
  });
  await sync.start();
  const local = createInProcessPolicyGate({
    snapshots: sync.snapshots,
    audit: createDecisionAudit(new EventPublisher(deps.bus)),
  });
  const gate: PolicyGate = {
    check: (input) => (sync.unsupported ? deps.remote.check(input) : local.check(input)),
  };
  return { gate, sync };
}
