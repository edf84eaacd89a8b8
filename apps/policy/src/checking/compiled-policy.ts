/**
 * A tenant policy turned into matchers. Compiling builds regular expressions, so compiled
 * policies are cached per tenant and version: a new version compiles once, then is reused.
 */
import type { FindingAction, TenantPolicy } from '../policies/tenant-policy.js';
import { policyVersionLabel } from '../policies/tenant-policy.js';
import { compileTopics, type TopicMatcher } from '../topics/topic-matcher.js';

export interface CompiledPolicy {
  tenantId: string;
  versionLabel: string;
  piiAction: TenantPolicy['piiAction'];
  /** The action per finding family, defaults applied. */
  actions: { pii: FindingAction; secret: FindingAction; injection: FindingAction };
  /** The trained injection classifier runs beside the heuristics (the tenant chose it). */
  injectionClassifier: boolean;
  matchDenied: TopicMatcher;
  matchEscalated: TopicMatcher;
}

export function compilePolicy(policy: TenantPolicy): CompiledPolicy {
  return {
    tenantId: policy.id,
    versionLabel: policyVersionLabel(policy),
    piiAction: policy.piiAction,
    actions: {
      pii: policy.actions?.pii ?? policy.piiAction,
      secret: policy.actions?.secret ?? 'redact',
      injection: policy.actions?.injection ?? 'block',
    },
    injectionClassifier: policy.injectionClassifier === true,
    matchDenied: compileTopics(policy.deniedTopics),
    matchEscalated: compileTopics(policy.escalateTopics),
  };
}

/** A bounded cache: tenants beyond `capacity` evict the least recently used. */
export function createCompiledPolicyCache(capacity = 1000): (policy: TenantPolicy) => CompiledPolicy {
  const cache = new Map<string, CompiledPolicy>();
  return (policy) => {
    const key = `${policy.id}\u0000${policy.version}\u0000${policy.updatedAt}`;
    const cached = cache.get(key);
    if (cached) {
      cache.delete(key);
      cache.set(key, cached);
      return cached;
    }
    const compiled = compilePolicy(policy);
    cache.set(key, compiled);
    if (cache.size > capacity) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return compiled;
  };
}
