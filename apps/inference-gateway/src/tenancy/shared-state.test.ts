/**
 * The state gateway replicas share, on both DocumentStore adapters: rate-limit windows counted by
 * concurrent requests from two replicas, limit overrides, the usage ledger and the response cache.
 * The MongoDB suite speaks the real protocol (FerretDB locally, through @keel/testing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createMongoDocumentStore } from '@keel/doc-store/mongodb';
import { describeWithInfra, findMongo, uniqueName } from '@keel/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createResponseCache } from '../caching/response-cache.js';
import { createUsageLedger } from '../usage/usage-ledger.js';
import { createLimitSettings, noLimits, type Scope } from './limit-settings.js';
import { createRateLimiter } from './rate-limiter.js';

const tenant: Scope = { kind: 'tenant', tenantId: 'acme' };

function sharedStateSuite(open: () => Promise<[DocumentStore, DocumentStore]>) {
  let stores: [DocumentStore, DocumentStore];
  beforeEach(async () => {
    stores = await open();
  });
  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  it.each([false, true])(
    'counts 30 concurrent requests from two replicas against one requests-per-minute limit (leases: %s)',
    async (leases) => {
      const limiters = [await createRateLimiter(stores[0], { leases }), await createRateLimiter(stores[1], { leases })];
      const scopes = [{ scope: tenant, limits: { ...noLimits, requestsPerMinute: 7 } }];
      const at = Math.floor(Date.now() / 60_000) * 60_000 + 1000;
      const admissions = await Promise.all(
        Array.from({ length: 30 }, (_, index) => limiters[index % 2]?.admit(scopes, 0, at)),
      );
      expect(admissions.filter((admission) => admission?.admitted)).toHaveLength(7);
      await Promise.all(limiters.map((limiter) => limiter.stop()));
    },
    60_000,
  );

  it('leases: admits from request slots in memory, gives unused ones back, and shares tokens at each sync', async () => {
    const leases = { minRequests: 4, flushMs: 20, idleMs: 60_000 };
    // The leases' clock runs from the window's first second: a test that ran across a minute's
    // end saw its window end, and an ended window's unused slots are dropped, not given back.
    const startedAt = Date.now();
    const at = Math.floor(startedAt / 60_000) * 60_000 + 1000;
    const now = () => at + (Date.now() - startedAt);
    const here = await createRateLimiter(stores[0], { leases, now });
    const there = await createRateLimiter(stores[1], { leases, now });
    const scopes = [{ scope: tenant, limits: { ...noLimits, requestsPerMinute: 100, tokensPerMinute: 1000 } }];
    // One write grants this request's slot and a batch (at least 4 more): the other replica sees them all counted.
    const first = await here.admit(scopes, 10, at);
    expect(first.state.requests).toMatchObject({ limit: 100, remaining: 99 });
    const seen = await there.admit(scopes, 10, at);
    expect(seen.state.requests?.remaining).toBeLessThanOrEqual(94);
    // Tokens counted here reach the store at this replica's next sync, and the other replica at
    // its own (both every flushMs); past the limit it refuses on a fresh read.
    await here.settle(first.ticket, 2000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await there.admit(scopes, 10, at);
    expect(refused).toMatchObject({ admitted: false, refusedBy: { what: 'tokens' } });
    // Unused slots go back: the window then counts the two admitted requests only.
    await Promise.all([here.releaseLeases(), there.releaseLeases()]);
    const fresh = await createRateLimiter(stores[0]);
    const counted = await fresh.admit([{ scope: tenant, limits: { ...noLimits, requestsPerMinute: 100 } }], 0, at);
    expect(counted.state.requests?.remaining).toBe(97);
    await Promise.all([here.stop(), there.stop()]);
  });

  it('shares limit overrides: set on one replica, seen on the other once its cache bound passes', async () => {
    const defaults = { tenant: { ...noLimits, requestsPerMinute: 100 }, key: noLimits };
    let clock = 0;
    const here = await createLimitSettings(stores[0], defaults, { cacheMs: 1000, now: () => clock });
    const there = await createLimitSettings(stores[1], defaults, { cacheMs: 1000, now: () => clock });
    expect((await there.effective(tenant)).requestsPerMinute).toBe(100);
    await here.setOverrides(tenant, { requestsPerMinute: null, budget: { amount: 5, period: 'month' } }, clock);
    expect(await here.effective(tenant)).toEqual({
      requestsPerMinute: null,
      tokensPerMinute: null,
      budget: { amount: 5, period: 'month' },
    });
    expect((await there.effective(tenant)).requestsPerMinute).toBe(100);
    clock += 1001;
    expect((await there.effective(tenant)).budget).toEqual({ amount: 5, period: 'month' });
    expect(await here.clearOverrides(tenant)).toBe(true);
  });

  it('keeps the ledger queryable per tenant, key, model and day', async () => {
    const ledger = await createUsageLedger(stores[0]);
    const base = {
      provider: 'openai',
      endpoint: '/v1/chat/completions',
      promptTokens: 1,
      completionTokens: 1,
      cachedTokens: 0,
      reasoningTokens: 0,
      currency: 'USD',
      priced: true,
      cacheHit: false,
      status: 'ok',
      streamed: false,
      at: 0,
    };
    await ledger.record({
      ...base,
      id: 'a',
      tenantId: 'acme',
      apiKeyId: 'k1',
      model: 'm1',
      costNanos: 5,
      day: '2026-12-01',
    });
    await ledger.record({
      ...base,
      id: 'b',
      tenantId: 'acme',
      apiKeyId: 'k2',
      model: 'm2',
      costNanos: 7,
      day: '2026-12-02',
    });
    await ledger.record({
      ...base,
      id: 'c',
      tenantId: 'beta',
      apiKeyId: 'k3',
      model: 'm1',
      costNanos: 11,
      day: '2026-12-02',
    });
    const replica = await createUsageLedger(stores[1]);
    expect(
      (await replica.summarise({ tenantId: 'acme' }, 'model')).groups.map((group) => [group.key, group.costNanos]),
    ).toEqual([
      ['m1', 5],
      ['m2', 7],
    ]);
    expect((await replica.summarise({ tenantId: 'acme', from: '2026-12-02' }, 'day')).totals.costNanos).toBe(7);
    expect((await replica.summarise({ model: 'm1' }, 'tenant')).totals.costNanos).toBe(16);
    expect((await replica.entries({ tenantId: 'acme', apiKeyId: 'k1' }, {})).items.map((item) => item.id)).toEqual([
      'a',
    ]);
  });

  it('serves a cached response to its tenant on every replica, and to no other tenant', async () => {
    const writer = await createResponseCache(stores[0], 60_000);
    const reader = await createResponseCache(stores[1], 60_000);
    const request = { messages: [{ role: 'user', content: 'Hi' }] };
    const key = writer.keyOf('acme', 'm1', request);
    await writer.put(
      {
        id: key,
        tenantId: 'acme',
        model: 'm1',
        provider: 'openai',
        content: 'Hello',
        toolCalls: [],
        finishReason: 'stop',
        usage: { promptTokens: 1, completionTokens: 1 },
        policy: { input: 'ALLOW', output: 'ALLOW' },
      },
      Date.now(),
    );
    expect((await reader.get('acme', key))?.content).toBe('Hello');
    expect(await reader.get('beta', key)).toBeNull();
    expect(await reader.get('beta', reader.keyOf('beta', 'm1', request))).toBeNull();
  });
}

describe('shared gateway state on the embedded store (two connections to one file)', () => {
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });
  sharedStateSuite(async () => {
    const directory = mkdtempSync(join(tmpdir(), 'keel-gateway-state-'));
    directories.push(directory);
    const path = join(directory, 'gateway.db');
    return [createEmbeddedDocumentStore({ path }), createEmbeddedDocumentStore({ path })];
  });
});

describeWithInfra('shared gateway state on the MongoDB protocol (two clients)', await findMongo(), (endpoint) => {
  sharedStateSuite(async () => {
    const database = uniqueName('keel_gateway_state').replace(/-/g, '_');
    return [
      await createMongoDocumentStore({ url: endpoint.url, database }),
      await createMongoDocumentStore({ url: endpoint.url, database }),
    ];
  });
});
