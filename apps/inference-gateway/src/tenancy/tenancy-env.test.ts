import { testInternalAuthEnv } from '@keel/platform/testing';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../config.js';

const load = (env: NodeJS.ProcessEnv) =>
  loadGatewayConfig({ KEEL_API_KEYS: 'k0=acme', ...testInternalAuthEnv, ...env });

describe('the gateway tenancy variables', () => {
  it('default to no limits, no budget, no cache, no admin API, and an embedded store', () => {
    expect(load({})).toMatchObject({
      mongo: undefined,
      dataDir: '.keel/data',
      tenancy: {
        adminApiKey: undefined,
        apiKeyCacheMs: 5000,
        limitsCacheMs: 5000,
        limitDefaults: {
          tenant: { requestsPerMinute: null, tokensPerMinute: null, budget: null },
          key: { requestsPerMinute: null, tokensPerMinute: null, budget: null },
        },
        defaultMaxOutputTokens: 4096,
        responseCacheTtlMs: undefined,
        leases: true,
      },
    });
    expect(load({ KEEL_USAGE_LEASES: 'off' }).tenancy.leases).toBe(false);
  });

  it('reads limits, budgets, the cache TTL, MongoDB and the admin key', () => {
    const config = load({
      MONGODB_URL: 'mongodb://mongo:27017/',
      KEEL_ADMIN_API_KEY: 'a'.repeat(32),
      KEEL_TENANT_REQUESTS_PER_MINUTE: '600',
      KEEL_KEY_TOKENS_PER_MINUTE: '20000',
      KEEL_TENANT_BUDGET: '25.5/day',
      KEEL_KEY_BUDGET: '100 / month',
      KEEL_RESPONSE_CACHE_TTL_SECONDS: '300',
      KEEL_API_KEY_CACHE_MS: '1s',
    });
    expect(config.mongo).toEqual({ url: 'mongodb://mongo:27017/', database: 'keel_inference_gateway' });
    expect(config.tenancy).toMatchObject({
      adminApiKey: 'a'.repeat(32),
      apiKeyCacheMs: 1000,
      limitDefaults: {
        tenant: { requestsPerMinute: 600, tokensPerMinute: null, budget: { amount: 25.5, period: 'day' } },
        key: { requestsPerMinute: null, tokensPerMinute: 20000, budget: { amount: 100, period: 'month' } },
      },
      responseCacheTtlMs: 300_000,
    });
  });

  it('names the variable of a bad value', () => {
    expect(() => load({ KEEL_ADMIN_API_KEY: 'short' })).toThrow(
      /KEEL_ADMIN_API_KEY: use a random secret of at least 32/,
    );
    expect(() => load({ KEEL_TENANT_BUDGET: '25/week' })).toThrow(
      /KEEL_TENANT_BUDGET: expected <amount>\/<day\|month>/,
    );
    expect(() => load({ KEEL_KEY_BUDGET: '0/day' })).toThrow(/KEEL_KEY_BUDGET/);
    expect(() => load({ KEEL_TENANT_REQUESTS_PER_MINUTE: '1.5' })).toThrow(/KEEL_TENANT_REQUESTS_PER_MINUTE/);
    expect(() => load({ KEEL_RESPONSE_CACHE_TTL_SECONDS: '-1' })).toThrow(/KEEL_RESPONSE_CACHE_TTL_SECONDS/);
    expect(() => load({ MONGODB_URL: 'http://mongo' })).toThrow(/MONGODB_URL/);
  });

  it('starts without static keys when the admin API can issue them, and not otherwise', () => {
    const env = { ...testInternalAuthEnv };
    expect(() => loadGatewayConfig(env)).toThrow(/KEEL_API_KEYS: no API keys are configured/);
    expect(loadGatewayConfig({ ...env, KEEL_ADMIN_API_KEY: 'b'.repeat(40) }).apiKeys).toEqual([]);
  });
});
