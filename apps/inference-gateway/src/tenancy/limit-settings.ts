/**
 * Limits and budgets per tenant and per key: defaults from the environment, overrides set through
 * the admin API and stored (shared by every replica). An override field that is absent keeps the
 * default; `null` lifts it (no limit for that tenant or key). Effective settings are cached for
 * `cacheMs` (default 5 s): an override takes effect on every replica within that bound.
 */
import type { Collection, DocumentStore } from '@keel/doc-store';
import { z } from '@keel/platform';

export const budgetPeriods = ['day', 'month'] as const;
export type BudgetPeriod = (typeof budgetPeriods)[number];

export interface Budget {
  /** In the price table's currency. */
  amount: number;
  period: BudgetPeriod;
}

export interface Limits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  budget: Budget | null;
}

export type Scope = { kind: 'tenant'; tenantId: string } | { kind: 'key'; keyId: string };

export const scopeId = (scope: Scope) => (scope.kind === 'tenant' ? `tenant:${scope.tenantId}` : `key:${scope.keyId}`);

export const budgetSchema = z
  .object({
    amount: z.number().positive().max(1_000_000, 'must be at most 1,000,000'),
    period: z.enum(budgetPeriods),
  })
  .strict();

export const limitOverridesSchema = z
  .object({
    requestsPerMinute: z.number().int().min(1).max(10_000_000).nullable().optional(),
    tokensPerMinute: z.number().int().min(1).max(10_000_000_000).nullable().optional(),
    budget: budgetSchema.nullable().optional(),
  })
  .strict();

export type LimitOverrides = z.infer<typeof limitOverridesSchema>;

interface StoredOverrides extends LimitOverrides {
  id: string;
  updatedAt: number;
}

export interface LimitDefaults {
  tenant: Limits;
  key: Limits;
}

export const noLimits: Limits = { requestsPerMinute: null, tokensPerMinute: null, budget: null };

export interface LimitSettings {
  effective(scope: Scope): Promise<Limits>;
  overrides(scope: Scope): Promise<LimitOverrides | null>;
  setOverrides(scope: Scope, overrides: LimitOverrides, now: number): Promise<void>;
  clearOverrides(scope: Scope): Promise<boolean>;
  /** Whether anything may be limited at all (a default, or any stored override): a fast path when not. */
  readonly defaults: LimitDefaults;
}

export async function createLimitSettings(
  store: DocumentStore,
  defaults: LimitDefaults,
  options: { cacheMs?: number; now?: () => number } = {},
): Promise<LimitSettings> {
  const collection: Collection<StoredOverrides> = await store.collection<StoredOverrides>('limit_overrides');
  const cacheMs = options.cacheMs ?? 5_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { limits: Limits; until: number }>();

  const read = async (scope: Scope): Promise<LimitOverrides | null> => {
    const stored = await collection.get(scopeId(scope));
    if (!stored) return null;
    const { id: _id, updatedAt: _updatedAt, ...overrides } = stored;
    return overrides;
  };

  return {
    defaults,
    async effective(scope) {
      const id = scopeId(scope);
      const cached = cache.get(id);
      if (cached && cached.until > now()) return cached.limits;
      const base = scope.kind === 'tenant' ? defaults.tenant : defaults.key;
      const overrides = await read(scope);
      const limits: Limits = {
        requestsPerMinute:
          overrides?.requestsPerMinute === undefined ? base.requestsPerMinute : overrides.requestsPerMinute,
        tokensPerMinute: overrides?.tokensPerMinute === undefined ? base.tokensPerMinute : overrides.tokensPerMinute,
        budget: overrides?.budget === undefined ? base.budget : overrides.budget,
      };
      if (cache.size >= 10_000) cache.delete(cache.keys().next().value as string);
      cache.set(id, { limits, until: now() + cacheMs });
      return limits;
    },
    overrides: read,
    async setOverrides(scope, overrides, at) {
      await collection.upsert({ id: scopeId(scope), ...overrides, updatedAt: at });
      cache.delete(scopeId(scope));
    },
    async clearOverrides(scope) {
      cache.delete(scopeId(scope));
      return collection.delete(scopeId(scope));
    },
  };
}
