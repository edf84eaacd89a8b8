/**
 * Resolves issued keys (`keel_sk_<id>_<secret>`) from the ApiKeyStore. Records are cached per id
 * for `cacheMs` (default 5 s), so a revocation, rotation or expiry made through another replica
 * takes effect within that bound (at once on the replica that made it: the admin API invalidates
 * its own cache). Expiry and grace periods are checked on every request against the clock, not
 * the cache. Anything not in the issued format is left to the next resolver (static keys).
 */
import type { ApiKeyResolver, Principal } from '@keel/platform';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.js';
import { parseIssuedKey, secretMatches } from './api-key-token.js';

export interface StoredKeyResolver extends ApiKeyResolver {
  /** Forgets a cached record (after an admin change on this replica). */
  invalidate(keyId: string): void;
}

const maxCachedKeys = 10_000;

export function createStoredKeyResolver(
  keys: Pick<ApiKeyStore, 'get'>,
  options: { cacheMs?: number; now?: () => number } = {},
): StoredKeyResolver {
  const cacheMs = options.cacheMs ?? 5_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();

  async function recordOf(keyId: string): Promise<ApiKeyRecord | null> {
    const cached = cache.get(keyId);
    if (cached && cached.until > now()) return cached.record;
    const record = await keys.get(keyId);
    // Unknown ids are cached too: a flood of made-up keys costs one read per id per bound.
    if (cache.size >= maxCachedKeys) cache.delete(cache.keys().next().value as string);
    cache.set(keyId, { record, until: now() + cacheMs });
    return record;
  }

  return {
    async resolve(apiKey) {
      const parsed = parseIssuedKey(apiKey);
      if (!parsed) return null;
      const record = await recordOf(parsed.keyId);
      if (!record || record.revokedAt !== null) return null;
      const at = now();
      if (record.expiresAt !== null && record.expiresAt <= at) return null;
      const current = secretMatches(parsed.secret, record.secretHash);
      const previous =
        record.previousSecretHash !== null &&
        record.previousValidUntil !== null &&
        record.previousValidUntil > at &&
        secretMatches(parsed.secret, record.previousSecretHash);
      if (!current && !previous) return null;
      return principalOf(record);
    },
    invalidate(keyId) {
      cache.delete(keyId);
    },
  };
}

function principalOf(record: ApiKeyRecord): Principal {
  return {
    tenantId: record.tenantId,
    subject: record.name ?? `key:${record.id}`,
    aclGroups: [...record.groups],
    ...(record.name ? { name: record.name } : {}),
    keyId: record.id,
  };
}
