/**
 * Reads and writes tenant policies in the document store. Every write of new content is a new
 * version: the current one in `policies`, each version also in `policy_versions`.
 */
import type { Collection, DocumentStore } from '@keel/doc-store';
import {
  defaultPolicyOf,
  type PolicyContent,
  policyContentSchema,
  sameContent,
  type TenantPolicy,
} from './tenant-policy.js';

export interface PolicyRepository {
  /** The tenant's current policy, or the default one when it has none. */
  current(tenantId: string): Promise<TenantPolicy>;
  /** Stores `content` as the tenant's policy; unchanged content keeps its version. */
  save(tenantId: string, content: PolicyContent): Promise<{ policy: TenantPolicy; changed: boolean }>;
  /** Stores `content` only when the tenant has no policy yet. */
  saveIfAbsent(tenantId: string, content: PolicyContent): Promise<{ policy: TenantPolicy; changed: boolean }>;
}

type PolicyDocument = TenantPolicy;
type PolicyVersionDocument = TenantPolicy & { tenantId: string };

export async function createPolicyRepository(
  store: DocumentStore,
  clock: () => number = Date.now,
): Promise<PolicyRepository> {
  const policies: Collection<PolicyDocument> = await store.collection<PolicyDocument>('policies');
  const versions: Collection<PolicyVersionDocument> = await store.collection<PolicyVersionDocument>('policy_versions', {
    indexes: [{ fields: ['tenantId', 'version'], unique: true }],
  });

  const read = async (tenantId: string): Promise<TenantPolicy | null> => {
    const stored = await policies.get(tenantId);
    if (!stored) return null;
    // Validate what comes back: a hand-edited document must fail loudly, not half-apply.
    const content = policyContentSchema.parse(stored);
    return { ...content, id: stored.id, version: stored.version, updatedAt: stored.updatedAt };
  };

  const write = async (tenantId: string, content: PolicyContent, previous: TenantPolicy | null) => {
    const policy: TenantPolicy = {
      ...content,
      id: tenantId,
      version: (previous?.version ?? 0) + 1,
      updatedAt: clock(),
    };
    // The version record first: a crash in between leaves history ahead, never missing.
    await versions.upsert({ ...policy, id: `${tenantId}@v${policy.version}`, tenantId });
    await policies.upsert(policy);
    return { policy, changed: true };
  };

  return {
    async current(tenantId) {
      return (await read(tenantId)) ?? defaultPolicyOf(tenantId);
    },

    async save(tenantId, content) {
      const existing = await read(tenantId);
      if (existing && sameContent(existing, content)) return { policy: existing, changed: false };
      return write(tenantId, content, existing);
    },

    async saveIfAbsent(tenantId, content) {
      const existing = await read(tenantId);
      if (existing) return { policy: existing, changed: false };
      return write(tenantId, content, null);
    },
  };
}
