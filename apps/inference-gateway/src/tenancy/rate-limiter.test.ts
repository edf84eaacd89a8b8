import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { describe, expect, it } from 'vitest';
import type { Limits, Scope } from './limit-settings.js';
import { createRateLimiter, rateLimitHeaders, resetDuration } from './rate-limiter.js';

const tenant: Scope = { kind: 'tenant', tenantId: 'acme' };
const key: Scope = { kind: 'key', keyId: 'k1' };
const limits = (requestsPerMinute: number | null, tokensPerMinute: number | null = null): Limits => ({
  requestsPerMinute,
  tokensPerMinute,
  budget: null,
});
// Windows expire by the real clock (the store's TTL): the test runs in the current minute.
const minute = Math.floor(Date.now() / 60_000) * 60_000;

for (const leases of [false, true])
  describe(`the rate limiter (${leases ? 'leased' : 'exact'})`, () => {
    it('admits up to the requests per minute, under concurrency, then refuses until the window resets', async () => {
      const limiter = await createRateLimiter(createEmbeddedDocumentStore({ path: ':memory:' }), { leases });
      const scopes = [{ scope: tenant, limits: limits(5) }];
      const admissions = await Promise.all(Array.from({ length: 12 }, () => limiter.admit(scopes, 0, minute + 15_000)));
      expect(admissions.filter((admission) => admission.admitted)).toHaveLength(5);
      const refused = admissions.find((admission) => !admission.admitted);
      expect(refused).toMatchObject({ retryAfterMs: 45_000, refusedBy: { scope: tenant, what: 'requests' } });
      expect(rateLimitHeaders(refused?.state ?? {})).toEqual({
        'x-ratelimit-limit-requests': '5',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '45s',
      });
      expect((await limiter.admit(scopes, 0, minute + 60_000)).admitted).toBe(true);
    });

    it('counts tokens: the estimate at admission, the real figure at settlement', async () => {
      const limiter = await createRateLimiter(createEmbeddedDocumentStore({ path: ':memory:' }), { leases });
      const scopes = [{ scope: tenant, limits: limits(null, 1000) }];
      const first = await limiter.admit(scopes, 100, minute);
      expect(first.state.tokens).toMatchObject({ limit: 1000, remaining: 900 });
      await limiter.settle(first.ticket, 1200);
      const second = await limiter.admit(scopes, 10, minute + 1000);
      expect(second).toMatchObject({ admitted: false, refusedBy: { what: 'tokens' } });
      expect(rateLimitHeaders(second.state)['x-ratelimit-remaining-tokens']).toBe('0');
    });

    it('reports the most constraining scope, and undoes the tenant count when the key refuses', async () => {
      const limiter = await createRateLimiter(createEmbeddedDocumentStore({ path: ':memory:' }), { leases });
      const scopes = [
        { scope: tenant, limits: limits(100) },
        { scope: key, limits: limits(1) },
      ];
      const first = await limiter.admit(scopes, 0, minute);
      expect(first.state.requests).toMatchObject({ limit: 1, remaining: 0 });
      const second = await limiter.admit(scopes, 0, minute);
      expect(second).toMatchObject({ admitted: false, refusedBy: { scope: key } });
      const tenantOnly = await limiter.admit([{ scope: tenant, limits: limits(100) }], 0, minute);
      // 1 admitted + this one: the refused request was not left counted against the tenant.
      expect(tenantOnly.state.requests?.remaining).toBe(98);
    });

    it('formats resets as OpenAI does', () => {
      expect(resetDuration(250)).toBe('250ms');
      expect(resetDuration(1000)).toBe('1s');
      expect(resetDuration(59_500)).toBe('1m0s');
      expect(resetDuration(360_000)).toBe('6m0s');
    });
  });
