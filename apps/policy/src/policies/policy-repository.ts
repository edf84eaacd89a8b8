/**
 * Reads and writes tenant policies in the document store. Every write of new content is a new
 * version: the current one in `policies`, each version also in `policy_versions`.
 */
import { type Collection, type DocumentStore, DuplicateKeyError } from '@keel/doc-store';
import { conflict } from '@keel/platform';
import type { PolicyDocument } from '@keel/policy-engine';
import { defaultPolicyOf, documentOf, sameDocument, type TenantPolicy } from './tenant-policy.js';

export interface PolicyPage {
  policies: TenantPolicy[];
  /** Absent on the last page. */
  nextCursor?: string;
}

export interface PolicyRepository {
  /** The tenant's current policy, or the default one when it has none. */
  current(tenantId: string): Promise<TenantPolicy>;
  /**
   * Stores `document` as the tenant's policy; unchanged content keeps its version (and the source
   * it was uploaded as). `source` is the YAML as uploaded, kept to show it back.
   */
  save(
    tenantId: string,
    document: PolicyDocument,
    source?: string,
  ): Promise<{ policy: TenantPolicy; changed: boolean }>;
  /** Stores `document` only when the tenant has no policy yet. */
  saveIfAbsent(tenantId: string, document: PolicyDocument): Promise<{ policy: TenantPolicy; changed: boolean }>;
  /** Every tenant's current policy, by tenant id, a page at a time. */
  list(options: { limit: number; cursor?: string }): Promise<PolicyPage>;
  /** One version of a tenant's policy, or null. */
  version(tenantId: string, version: number): Promise<TenantPolicy | null>;
  /** A tenant's versions, newest first, a page at a time. */
  versions(tenantId: string, options: { limit: number; cursor?: string }): Promise<PolicyPage>;
}

type PolicyDocumentRecord = TenantPolicy;
type PolicyVersionRecord = TenantPolicy & { tenantId: string };

export async function createPolicyRepository(
  store: DocumentStore,
  clock: () => number = Date.now,
): Promise<PolicyRepository> {
  const policies: Collection<PolicyDocumentRecord> = await store.collection<PolicyDocumentRecord>('policies');
  const versions: Collection<PolicyVersionRecord> = await store.collection<PolicyVersionRecord>('policy_versions', {
    indexes: [{ fields: ['tenantId', 'version'], unique: true }],
  });

  const policyOf = (stored: TenantPolicy, id = stored.id): TenantPolicy => ({
    // Validate what comes back: a hand-edited document must fail loudly, not half-apply.
    ...documentOf(stored as unknown as Record<string, unknown>),
    id,
    version: stored.version,
    updatedAt: stored.updatedAt,
    ...(typeof stored.source === 'string' ? { source: stored.source } : {}),
  });

  const read = async (tenantId: string): Promise<TenantPolicy | null> => {
    const stored = await policies.get(tenantId);
    return stored ? policyOf(stored) : null;
  };

  const write = async (
    tenantId: string,
    document: PolicyDocument,
    previous: TenantPolicy | null,
    source: string | undefined,
  ) => {
    const policy: TenantPolicy = {
      ...document,
      id: tenantId,
      version: (previous?.version ?? 0) + 1,
      updatedAt: clock(),
      ...(source !== undefined ? { source } : {}),
    };
    // The version record first: a crash in between leaves history ahead, never missing. Inserted,
    // not upserted: two changes racing for the same version must not both win.
    const versionId = `${tenantId}@v${policy.version}`;
    try {
      await versions.insert({ ...policy, id: versionId, tenantId });
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
      const taken = await versions.get(versionId);
      // The same content left behind by a crash before `policies` was written: finish that write.
      if (!taken || !sameDocument(documentOf(taken as unknown as Record<string, unknown>), document)) {
        throw conflict(
          `another change of tenant ${tenantId}'s policy was stored as version ${policy.version} at the same time; read it and retry`,
          'POLICY.VERSION_CONFLICT',
        );
      }
      const { tenantId: _owner, ...stored } = taken;
      await policies.upsert({ ...stored, id: tenantId });
      return { policy: policyOf({ ...stored, id: tenantId } as TenantPolicy), changed: true };
    }
    await policies.upsert(policy);
    return { policy, changed: true };
  };

  return {
    async current(tenantId) {
      return (await read(tenantId)) ?? defaultPolicyOf(tenantId);
    },

    async save(tenantId, document, source) {
      const existing = await read(tenantId);
      if (existing && sameDocument(documentOf(existing as unknown as Record<string, unknown>), document)) {
        return { policy: existing, changed: false };
      }
      return write(tenantId, document, existing, source);
    },

    async saveIfAbsent(tenantId, document) {
      const existing = await read(tenantId);
      if (existing) return { policy: existing, changed: false };
      return write(tenantId, document, null, undefined);
    },

    async list({ limit, cursor }) {
      const page = await policies.find({ limit, ...(cursor ? { cursor } : {}) });
      return {
        policies: page.items.map((stored) => policyOf(stored)),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    },

    async version(tenantId, version) {
      const stored = await versions.get(`${tenantId}@v${version}`);
      if (!stored || stored.tenantId !== tenantId) return null;
      const { tenantId: owner, ...rest } = stored;
      return policyOf(rest as TenantPolicy, owner);
    },

    async versions(tenantId, { limit, cursor }) {
      const page = await versions.find({
        where: { tenantId },
        orderBy: { field: 'version', direction: 'desc' },
        limit,
        ...(cursor ? { cursor } : {}),
      });
      return {
        policies: page.items.map(({ tenantId: owner, ...stored }) => policyOf(stored as TenantPolicy, owner)),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    },
  };
}
