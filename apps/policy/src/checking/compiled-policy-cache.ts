/**
 * Compiled policies per tenant and version: compiling builds regular expressions (topics, RE2
 * patterns), so a version compiles once and is reused until a newer one is stored.
 */
import type { CompiledPolicy, PolicyEngine } from '@keel/policy-engine';
import { documentOf, policyVersionLabel, type TenantPolicy } from '../policies/tenant-policy.js';

/** A bounded cache: tenants beyond `capacity` evict the least recently used. */
export function createCompiledPolicyCache(
  engine: PolicyEngine,
  capacity = 1000,
): (policy: TenantPolicy) => CompiledPolicy {
  const cache = new Map<string, CompiledPolicy>();
  return (policy) => {
    const key = `${policy.id}\u0000${policy.version}\u0000${policy.updatedAt}`;
    const cached = cache.get(key);
    if (cached) {
      cache.delete(key);
      cache.set(key, cached);
      return cached;
    }
    const compiled = engine.compile(documentOf(policy as unknown as Record<string, unknown>), {
      tenantId: policy.id,
      policyVersion: policyVersionLabel(policy),
    });
    cache.set(key, compiled);
    if (cache.size > capacity) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return compiled;
  };
}
