/**
 * The ApiKeyStore port and its implementation over the DocumentStore port (so MongoDB in a
 * cluster and the embedded SQLite file on one machine behave the same). A record holds the key's
 * tenant, groups, name, expiry and the digest of its secret, never the secret itself.
 */
import type { Collection, DocumentStore, Page } from '@keel/doc-store';
import { issueSecret, newKeyId } from './api-key-token.js';

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  groups: string[];
  name: string | null;
  createdAt: number;
  /** Epoch ms after which the key no longer resolves; null: never. */
  expiresAt: number | null;
  revokedAt: number | null;
  secretHash: string;
  /** After a rotation with a grace period: the old secret's digest and until when it still works. */
  previousSecretHash: string | null;
  previousValidUntil: number | null;
  rotatedAt: number | null;
}

export interface NewApiKey {
  tenantId: string;
  groups: string[];
  name?: string | undefined;
  expiresAt?: number | undefined;
}

export interface ApiKeyStore {
  /** Returns the record and the whole key, which is never retrievable again. */
  create(input: NewApiKey, now: number): Promise<{ record: ApiKeyRecord; token: string }>;
  get(id: string): Promise<ApiKeyRecord | null>;
  list(options: {
    tenantId?: string | undefined;
    cursor?: string | undefined;
    limit?: number;
  }): Promise<Page<ApiKeyRecord>>;
  /**
   * A new secret; the old one keeps working for `graceMs` (0: stops at once). Null when the key is
   * missing or revoked. Of two concurrent rotations one wins; the other gets null.
   */
  rotate(id: string, graceMs: number, now: number): Promise<{ record: ApiKeyRecord; token: string } | null>;
  /** Null when the key is missing; revoking twice keeps the first time. */
  revoke(id: string, now: number): Promise<ApiKeyRecord | null>;
}

type StoredKey = ApiKeyRecord;

export async function createDocumentApiKeyStore(store: DocumentStore): Promise<ApiKeyStore> {
  const keys: Collection<StoredKey> = await store.collection<StoredKey>('api_keys', {
    indexes: [{ fields: ['tenantId', 'createdAt'] }, { fields: ['createdAt'] }],
  });
  return {
    async create(input, now) {
      const id = newKeyId();
      const { token, secretHash } = issueSecret(id);
      const record: ApiKeyRecord = {
        id,
        tenantId: input.tenantId,
        groups: [...new Set(input.groups)],
        name: input.name ?? null,
        createdAt: now,
        expiresAt: input.expiresAt ?? null,
        revokedAt: null,
        secretHash,
        previousSecretHash: null,
        previousValidUntil: null,
        rotatedAt: null,
      };
      await keys.insert(record);
      return { record, token };
    },
    get: (id) => keys.get(id),
    list: ({ tenantId, cursor, limit }) =>
      keys.find({
        ...(tenantId === undefined ? {} : { where: { tenantId } }),
        orderBy: { field: 'createdAt', direction: 'desc' },
        limit: limit ?? 50,
        ...(cursor ? { cursor } : {}),
      }),
    async rotate(id, graceMs, now) {
      const current = await keys.get(id);
      if (!current || current.revokedAt !== null) return null;
      const { token, secretHash } = issueSecret(id);
      // Conditional on the secret we read: a concurrent rotation changed it, and this one loses.
      const record = await keys.updateIf(
        id,
        { secretHash: current.secretHash, revokedAt: null },
        {
          secretHash,
          previousSecretHash: graceMs > 0 ? current.secretHash : null,
          previousValidUntil: graceMs > 0 ? now + graceMs : null,
          rotatedAt: now,
        },
      );
      return record ? { record, token } : null;
    },
    async revoke(id, now) {
      const revoked = await keys.updateIf(id, { revokedAt: null }, { revokedAt: now });
      return revoked ?? keys.get(id);
    },
  };
}

/** What an admin may see of a key: everything but digests. */
export function publicKeyView(record: ApiKeyRecord) {
  return {
    id: record.id,
    tenantId: record.tenantId,
    groups: record.groups,
    name: record.name,
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString(),
    revokedAt: record.revokedAt === null ? null : new Date(record.revokedAt).toISOString(),
    rotatedAt: record.rotatedAt === null ? null : new Date(record.rotatedAt).toISOString(),
    previousKeyValidUntil:
      record.previousValidUntil === null ? null : new Date(record.previousValidUntil).toISOString(),
  };
}
