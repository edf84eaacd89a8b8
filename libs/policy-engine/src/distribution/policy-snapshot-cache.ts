/**
 * Every tenant's compiled policy, kept current in a process that evaluates in process (the
 * inference gateway) while the policy service stays the owner of policies, versions and audit.
 *
 * Wiring (the caller owns the transports, this lib has none):
 *  1. subscribe to `keel.policy.changed.v1` and hand each event to `apply(snapshotOfPolicyChanged(event))`;
 *  2. then `load(...)` every current policy (gRPC `keel.policy.v1.Policy/ListPolicies`, page by page).
 * Either order is safe: a snapshot only replaces an older version of the same tenant, so an event
 * that arrives before or during the initial load is never undone by it. A document that does not
 * compile leaves the tenant's previous version serving and is reported through `onError`.
 */
import type { PolicyChanged } from '@keel/contracts/events/v1/policy';
import type { TenantPolicy as TenantPolicyProto } from '@keel/contracts/policy/v1';
import type { CompiledPolicy, PolicyEngine } from '../evaluation/policy-engine.js';
import { sharedPolicyEngine } from '../evaluation/policy-engine.js';
import { policyContentSchema } from '../policy/legacy-policy.js';
import { validatePolicyDocument } from '../policy/policy-document.js';

export interface PolicySnapshot {
  tenantId: string;
  /** Increases with every change of the tenant's policy (0: the built-in default). */
  version: number;
  /** The label decisions carry (`acme@v3`). */
  policyVersion: string;
  /** The policy document as JSON (either format). */
  documentJson: string;
}

export interface PolicySnapshotCacheOptions {
  engine?: PolicyEngine;
  /** Told about a snapshot that could not be used (the previous version keeps serving). */
  onError?: (error: Error, snapshot: PolicySnapshot) => void;
  /**
   * How many compiled default policies (tenants without one of their own) to keep; default 10,000.
   * Tenants' own policies are always kept: dropping one would silently apply the default.
   */
  defaultsCapacity?: number;
}

export class PolicySnapshotCache {
  private readonly engine: PolicyEngine;
  private readonly compiled = new Map<string, CompiledPolicy>();
  private readonly versions = new Map<string, number>();
  private readonly defaults = new Map<string, CompiledPolicy>();
  private loaded = false;

  constructor(private readonly options: PolicySnapshotCacheOptions = {}) {
    this.engine = options.engine ?? sharedPolicyEngine();
  }

  /** Applies one snapshot; true when it became the tenant's policy (newer and valid). */
  apply(snapshot: PolicySnapshot): boolean {
    const known = this.versions.get(snapshot.tenantId);
    if (known !== undefined && known >= snapshot.version) return false;
    let compiled: CompiledPolicy;
    try {
      const validation = validatePolicyDocument(JSON.parse(snapshot.documentJson));
      if (!validation.ok) {
        throw new Error(validation.issues.map((issue) => `${issue.path || 'document'}: ${issue.message}`).join('; '));
      }
      compiled = this.engine.compile(validation.document, {
        tenantId: snapshot.tenantId,
        policyVersion: snapshot.policyVersion,
      });
    } catch (error) {
      this.options.onError?.(
        new Error(
          `policy ${snapshot.policyVersion} of tenant ${snapshot.tenantId} not applied: ${(error as Error).message}`,
        ),
        snapshot,
      );
      return false;
    }
    this.versions.set(snapshot.tenantId, snapshot.version);
    this.compiled.set(snapshot.tenantId, compiled);
    this.defaults.delete(snapshot.tenantId);
    return true;
  }

  /**
   * Applies every snapshot `pages` yields (the initial fetch), then marks the cache loaded.
   * Returns how many were applied.
   */
  async load(pages: AsyncIterable<readonly PolicySnapshot[]> | Iterable<readonly PolicySnapshot[]>): Promise<number> {
    let applied = 0;
    for await (const page of pages) for (const snapshot of page) if (this.apply(snapshot)) applied++;
    this.loaded = true;
    return applied;
  }

  /** Whether the initial load completed: before it, `policyFor` may answer an outdated default. */
  get ready(): boolean {
    return this.loaded;
  }

  /** The tenant's compiled policy, or the built-in default (`policyVersion: default`) when it has none. */
  policyFor(tenantId: string): CompiledPolicy {
    const compiled = this.compiled.get(tenantId);
    if (compiled) return compiled;
    let fallback = this.defaults.get(tenantId);
    if (!fallback) {
      fallback = this.engine.compile(policyContentSchema.parse({}), { tenantId, policyVersion: 'default' });
      this.defaults.set(tenantId, fallback);
      if (this.defaults.size > (this.options.defaultsCapacity ?? 10_000)) {
        const oldest = this.defaults.keys().next().value;
        if (oldest !== undefined) this.defaults.delete(oldest);
      }
    }
    return fallback;
  }

  /** The version applied for the tenant (0: none, the default serves). */
  versionOf(tenantId: string): number {
    return this.versions.get(tenantId) ?? 0;
  }
}

export function snapshotOfPolicyChanged(event: PolicyChanged): PolicySnapshot {
  return {
    tenantId: event.tenantId,
    version: Number(event.version),
    policyVersion: event.policyVersion,
    documentJson: event.documentJson,
  };
}

export function snapshotOfTenantPolicy(policy: TenantPolicyProto): PolicySnapshot {
  return {
    tenantId: policy.tenantId,
    version: Number(policy.version),
    policyVersion: policy.policyVersion,
    documentJson: policy.documentJson,
  };
}
