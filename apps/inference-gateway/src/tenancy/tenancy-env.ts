/**
 * The gateway's tenancy and money variables (read by config.ts, the app's only reader of the
 * environment): the admin key, default limits and budgets per tenant and per key, the response
 * cache and the bounds of the caches that make revocations and overrides take effect.
 */
import { adminApiKeyEnvFields, durationMs, z } from '@keel/platform';
import { type Budget, budgetPeriods, type LimitDefaults, type Limits } from './limit-settings.js';

/** A positive whole number, or unset (no limit). */
const optionalCount = (max: number) =>
  z
    .string()
    .optional()
    .transform((value, context): number | null => {
      if (value === undefined || value.trim() === '') return null;
      const number = Number(value.trim());
      if (!Number.isInteger(number) || number < 1 || number > max) {
        context.addIssue({ code: 'custom', message: `expected a whole number between 1 and ${max}` });
        return z.NEVER;
      }
      return number;
    });

/** `<amount>/<day|month>` in the price table's currency, e.g. `25/day`, `500/month`; unset: no budget. */
const optionalBudget = z
  .string()
  .optional()
  .transform((value, context): Budget | null => {
    if (value === undefined || value.trim() === '') return null;
    const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(day|month)\s*$/.exec(value);
    const amount = Number(match?.[1]);
    if (!match || !(amount > 0) || amount > 1_000_000) {
      context.addIssue({
        code: 'custom',
        message: `expected <amount>/<${budgetPeriods.join('|')}> with an amount above 0 and at most 1000000, e.g. 25/day`,
      });
      return z.NEVER;
    }
    return { amount, period: match[2] as Budget['period'] };
  });

export const tenancyEnvFields = {
  // Guards /v1/admin; unset disables the admin API (404).
  ...adminApiKeyEnvFields,
  KEEL_API_KEY_CACHE_MS: durationMs(5_000),
  KEEL_LIMITS_CACHE_MS: durationMs(5_000),
  KEEL_TENANT_REQUESTS_PER_MINUTE: optionalCount(10_000_000),
  KEEL_TENANT_TOKENS_PER_MINUTE: optionalCount(10_000_000_000),
  KEEL_KEY_REQUESTS_PER_MINUTE: optionalCount(10_000_000),
  KEEL_KEY_TOKENS_PER_MINUTE: optionalCount(10_000_000_000),
  KEEL_TENANT_BUDGET: optionalBudget,
  KEEL_KEY_BUDGET: optionalBudget,
  KEEL_BUDGET_DEFAULT_MAX_OUTPUT_TOKENS: optionalCount(1_048_576),
  KEEL_RESPONSE_CACHE_TTL_SECONDS: optionalCount(30 * 24 * 3600),
  // `off`: one write of the shared store per request and scope instead of per-replica leases.
  KEEL_USAGE_LEASES: z.enum(['on', 'off']).default('on'),
};

interface TenancyEnv {
  KEEL_ADMIN_API_KEY?: string | undefined;
  KEEL_API_KEY_CACHE_MS: number;
  KEEL_LIMITS_CACHE_MS: number;
  KEEL_TENANT_REQUESTS_PER_MINUTE: number | null;
  KEEL_TENANT_TOKENS_PER_MINUTE: number | null;
  KEEL_KEY_REQUESTS_PER_MINUTE: number | null;
  KEEL_KEY_TOKENS_PER_MINUTE: number | null;
  KEEL_TENANT_BUDGET: Budget | null;
  KEEL_KEY_BUDGET: Budget | null;
  KEEL_BUDGET_DEFAULT_MAX_OUTPUT_TOKENS: number | null;
  KEEL_RESPONSE_CACHE_TTL_SECONDS: number | null;
  KEEL_USAGE_LEASES?: 'on' | 'off';
}

export interface TenancyConfig {
  adminApiKey: string | undefined;
  apiKeyCacheMs: number;
  limitsCacheMs: number;
  limitDefaults: LimitDefaults;
  defaultMaxOutputTokens: number;
  /** Unset: no response cache. */
  responseCacheTtlMs: number | undefined;
  /** Budgets and rate limits through per-replica leases (default); false: one write per request. */
  leases: boolean;
}

export function tenancyOf(env: TenancyEnv): TenancyConfig {
  const tenant: Limits = {
    requestsPerMinute: env.KEEL_TENANT_REQUESTS_PER_MINUTE,
    tokensPerMinute: env.KEEL_TENANT_TOKENS_PER_MINUTE,
    budget: env.KEEL_TENANT_BUDGET,
  };
  const key: Limits = {
    requestsPerMinute: env.KEEL_KEY_REQUESTS_PER_MINUTE,
    tokensPerMinute: env.KEEL_KEY_TOKENS_PER_MINUTE,
    budget: env.KEEL_KEY_BUDGET,
  };
  return {
    adminApiKey: env.KEEL_ADMIN_API_KEY || undefined,
    apiKeyCacheMs: env.KEEL_API_KEY_CACHE_MS,
    limitsCacheMs: env.KEEL_LIMITS_CACHE_MS,
    limitDefaults: { tenant, key },
    defaultMaxOutputTokens: env.KEEL_BUDGET_DEFAULT_MAX_OUTPUT_TOKENS ?? 4096,
    responseCacheTtlMs:
      env.KEEL_RESPONSE_CACHE_TTL_SECONDS === null ? undefined : env.KEEL_RESPONSE_CACHE_TTL_SECONDS * 1000,
    leases: env.KEEL_USAGE_LEASES !== 'off',
  };
}
