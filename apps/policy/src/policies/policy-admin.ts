/**
 * Changing a tenant's policy: validate (schema, then compile: an RE2 pattern that does not
 * compile is refused here, at upload), store a new version, and publish it on
 * `keel.policy.changed.v1` so that processes evaluating in process (the gateway) switch to it.
 *
 * An unchanged upload keeps its version and is published again: if the publication of a change
 * failed, the retry of the same upload repairs it (consumers ignore versions they already have).
 */
import type { PolicyChanged } from '@keel/contracts/events/v1/policy';
import type { EventPublisher } from '@keel/event-bus';
import { unavailable } from '@keel/platform';
import { PolicyCompilationError, type PolicyDocument, type PolicyEngine, type PolicyIssue } from '@keel/policy-engine';
import type { PolicyRepository } from './policy-repository.js';
import { documentOf, formatOf, policyVersionLabel, type TenantPolicy } from './tenant-policy.js';

/** A document as JSON is what the change event carries; Kafka's default message limit is 1 MB. */
export const MAX_DOCUMENT_JSON_LENGTH = 524_288;

export type EventSink = Pick<EventPublisher, 'publish'>;

export type UploadOutcome = { ok: true; policy: TenantPolicy; changed: boolean } | { ok: false; issues: PolicyIssue[] };

export interface PolicyAdmin {
  /** Stores and publishes `document` as the tenant's policy, or says why it cannot be used. */
  upload(tenantId: string, document: PolicyDocument, source?: string): Promise<UploadOutcome>;
  /** Publishes a tenant's current policy (after seeding at start). */
  publish(policy: TenantPolicy): Promise<void>;
}

export function policyChangedEvent(policy: TenantPolicy): PolicyChanged {
  const document = documentOf(policy as unknown as Record<string, unknown>);
  return {
    tenantId: policy.id,
    version: policy.version,
    policyVersion: policyVersionLabel(policy),
    format: formatOf(document),
    documentJson: JSON.stringify(document),
    changedAt: new Date(policy.updatedAt),
  };
}

/** Problems that only compiling finds, and the size the change event allows. */
export function compileIssues(engine: PolicyEngine, document: PolicyDocument): PolicyIssue[] {
  const length = JSON.stringify(document).length;
  if (length > MAX_DOCUMENT_JSON_LENGTH) {
    return [{ path: '', message: `is ${length} characters as JSON, more than ${MAX_DOCUMENT_JSON_LENGTH}` }];
  }
  try {
    engine.compile(document);
    return [];
  } catch (error) {
    if (error instanceof PolicyCompilationError) return [{ path: `rule ${error.ruleId}`, message: error.reason }];
    throw error;
  }
}

export function createPolicyAdmin(deps: {
  policies: PolicyRepository;
  engine: PolicyEngine;
  events: EventSink;
}): PolicyAdmin {
  const publish = async (policy: TenantPolicy) => {
    try {
      await deps.events.publish('keel.policy.changed.v1', policyChangedEvent(policy), {
        idempotencyKey: policyVersionLabel(policy),
      });
    } catch (error) {
      throw unavailable(
        'event bus',
        `policy ${policyVersionLabel(policy)} is stored but could not be published; upload it again to publish it: ${(error as Error).message}`,
        undefined,
        error,
      );
    }
  };
  return {
    publish,
    async upload(tenantId, document, source) {
      const issues = compileIssues(deps.engine, document);
      if (issues.length > 0) return { ok: false, issues };
      const { policy, changed } = await deps.policies.save(tenantId, document, source);
      await publish(policy);
      return { ok: true, policy, changed };
    },
  };
}
