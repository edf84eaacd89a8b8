/**
 * Budgets under concurrency: 50 requests at once against a budget that covers only some of them,
 * from two "replicas" (two Budgets over two connections to the same store), on the embedded SQLite
 * file and on the MongoDB protocol (FerretDB locally, through @keel/testing). Whatever the
 * interleaving, what is spent never exceeds the budget and every reservation is given back. Each
 * suite runs twice: with one write per request (exact) and with per-replica leases (slices of the
 * budget reserved and settled in memory, written in batches: budget-leases.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createMongoDocumentStore } from '@keel/doc-store/mongodb';
import { describeWithInfra, findMongo, uniqueName } from '@keel/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Budgets, createBudgets, periodOf, toNanos } from './budgets.js';
import type { Budget, Scope } from './limit-settings.js';

const tenant: Scope = { kind: 'tenant', tenantId: 'acme' };
const key: Scope = { kind: 'key', keyId: 'k1' };
const now = Date.UTC(2026, 11, 5, 12);

type StoresFactory = () => Promise<{ stores: [DocumentStore, DocumentStore]; close(): Promise<void> }>;

function budgetSuites(makeStores: StoresFactory) {
  describe('exact', () => budgetSuite(makeStores, false));
  describe('leased', () => budgetSuite(makeStores, true));
}

function budgetSuite(makeStores: StoresFactory, leases: boolean) {
  let stores: [DocumentStore, DocumentStore];
  let close: () => Promise<void>;
  let replicas: [Budgets, Budgets];
  /** Writes what the leases settled in memory and returns their slices (nothing to do when exact). */
  const released = () => Promise.all(replicas.map((budgets) => budgets.releaseLeases()));

  beforeEach(async () => {
    ({ stores, close } = await makeStores());
    // The leases' own clock (their syncs, idleness and the staleness of a slice) is the test's.
    const options = { leases, now: () => now };
    replicas = [await createBudgets(stores[0], options), await createBudgets(stores[1], options)];
  });
  afterEach(async () => {
    await Promise.all(replicas.map((budgets) => budgets.stop()));
    await close();
  });

  it('lets 50 concurrent requests from two replicas spend no more than the budget', async () => {
    const daily: Budget = { amount: 0.01, period: 'day' };
    // Each request may cost up to 0.001 and really costs 0.0008: ten fit the reservations at once.
    const bound = toNanos(0.001);
    const actual = toNanos(0.0008);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, async (_, index) => {
        const budgets = replicas[index % 2] as Budgets;
        const outcome = await budgets.reserve(`r${index}`, [{ scope: tenant, budget: daily }], bound, now);
        if ('refused' in outcome) return 'refused';
        await budgets.settle(outcome.reservation, actual);
        return 'served';
      }),
    );
    const served = outcomes.filter((outcome) => outcome === 'served').length;
    await released();
    const period = await replicas[0].current(tenant, 'day', now);
    expect(period.reserved).toBe(0);
    expect(period.spent).toBeCloseTo(served * 0.0008, 9);
    expect(period.spent).toBeLessThanOrEqual(0.01);
    // At least the ten that fit at once were served; reservations settled early free room for more.
    expect(served).toBeGreaterThanOrEqual(10);
    expect(served).toBeLessThanOrEqual(12);
    // What is left is reservable to the last nano, and not one nano more.
    const left = toNanos(0.01) - toNanos(period.spent);
    const over = await replicas[1].reserve('over', [{ scope: tenant, budget: daily }], left + 1, now);
    expect(over).toMatchObject({ refused: { scope: tenant, budget: daily, reserved: 0 } });
    const exact = await replicas[1].reserve('exact', [{ scope: tenant, budget: daily }], left, now);
    expect('reservation' in exact).toBe(true);
  }, 60_000);

  it('reserves in every scope or none: a key over its budget gives the tenant its reservation back', async () => {
    const budgets = replicas[0];
    const tenantBudget: Budget = { amount: 1, period: 'month' };
    const keyBudget: Budget = { amount: 0.002, period: 'day' };
    const scopes = [
      { scope: tenant, budget: tenantBudget },
      { scope: key, budget: keyBudget },
    ];
    const first = await budgets.reserve('a', scopes, toNanos(0.0015), now);
    expect('reservation' in first).toBe(true);
    const second = await budgets.reserve('b', scopes, toNanos(0.0015), now);
    expect(second).toMatchObject({ refused: { scope: key, resetsAt: periodOf('day', now).endsAt } });
    await released();
    expect((await budgets.current(tenant, 'month', now)).reserved).toBeCloseTo(0.0015, 9);
    if ('reservation' in first) await budgets.settle(first.reservation, 0);
    await released();
    expect(await budgets.current(tenant, 'month', now)).toMatchObject({ spent: 0, reserved: 0 });
  });

  it('settles once: a second settle or a sweep after it changes nothing', async () => {
    const budgets = replicas[0];
    const scopes = [{ scope: tenant, budget: { amount: 1, period: 'day' } as Budget }];
    const outcome = await budgets.reserve('once', scopes, toNanos(0.5), now);
    if (!('reservation' in outcome)) throw new Error('expected a reservation');
    await budgets.settle(outcome.reservation, toNanos(0.2));
    await released();
    expect(await budgets.releaseStale(now + 24 * 3_600_000)).toBe(0);
    expect(await budgets.current(tenant, 'day', now)).toMatchObject({ spent: 0.2, reserved: 0 });
  });

  it('releases the reservation of a replica that died, once it is stale, and charges a late settle in full', async () => {
    const budgets = replicas[0];
    const scopes = [{ scope: tenant, budget: { amount: 1, period: 'day' } as Budget }];
    const outcome = await budgets.reserve('orphan', scopes, toNanos(0.9), now);
    if (!('reservation' in outcome)) throw new Error('expected a reservation');
    expect('refused' in (await budgets.reserve('blocked', scopes, toNanos(0.2), now))).toBe(true);
    expect(await budgets.releaseStale(now + 60_000)).toBe(0);
    expect(await replicas[1].releaseStale(now + 16 * 60_000)).toBe(1);
    // A request's reservation is released unspent; a slice is charged in full, since what its
    // replica settled from it in memory was lost with it (the refusal above shrank it to 0.9).
    const charged = leases ? 0.9 : 0;
    expect(await replicas[1].current(tenant, 'day', now)).toMatchObject({ spent: charged, reserved: 0 });
    await budgets.settle(outcome.reservation, toNanos(0.3));
    await released();
    // Late: exact charges it in full; a leased one was already covered by the charged slice.
    expect(await budgets.current(tenant, 'day', now)).toMatchObject({ spent: leases ? charged : 0.3, reserved: 0 });
  });

  // Leases only: the exact path has no slice (defined only there, so no run reports it skipped).
  if (leases)
    it('grants a slice with headroom, admits from it without writing, and writes at release', async () => {
      const [budgets, other] = replicas;
      const scopes = [{ scope: tenant, budget: { amount: 1, period: 'day' } as Budget }];
      const first = await budgets.reserve('first', scopes, toNanos(0.01), now);
      if (!('reservation' in first)) throw new Error('expected a reservation');
      // 0.01 for the request and eight more like it: one write.
      expect(await other.current(tenant, 'day', now)).toMatchObject({ spent: 0, reserved: 0.09 });
      for (let index = 0; index < 8; index++) {
        const next = await budgets.reserve(`n${index}`, scopes, toNanos(0.01), now);
        if (!('reservation' in next)) throw new Error('expected a reservation');
        await budgets.settle(next.reservation, toNanos(0.005));
      }
      expect(await other.current(tenant, 'day', now)).toMatchObject({ spent: 0, reserved: 0.09 });
      // The other replica can reserve exactly what the slice leaves, and not one nano more.
      expect('refused' in (await other.reserve('over', scopes, toNanos(0.91) + 1, now))).toBe(true);
      expect('reservation' in (await other.reserve('exact', scopes, toNanos(0.91), now))).toBe(true);
      await budgets.settle(first.reservation, toNanos(0.01));
      await released();
      expect(await other.current(tenant, 'day', now)).toMatchObject({ spent: 0.05, reserved: 0.91 });
    });

  it('keeps days and months apart, in UTC', async () => {
    const budgets = replicas[0];
    const daily = [{ scope: tenant, budget: { amount: 0.001, period: 'day' } as Budget }];
    const spend = async (at: number) => {
      const outcome = await budgets.reserve(`at-${at}`, daily, toNanos(0.001), at);
      if ('reservation' in outcome) await budgets.settle(outcome.reservation, toNanos(0.001));
      return 'reservation' in outcome;
    };
    expect(await spend(now)).toBe(true);
    expect(await spend(now + 3_600_000)).toBe(false);
    expect(await spend(Date.UTC(2026, 11, 6, 0, 0, 1))).toBe(true);
    expect(periodOf('month', now)).toEqual({ start: '2026-12', endsAt: Date.UTC(2027, 0, 1) });
  });
}

describe('budgets on the embedded store (two connections to one SQLite file)', () => {
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });
  budgetSuites(async () => {
    const directory = mkdtempSync(join(tmpdir(), 'keel-budgets-'));
    directories.push(directory);
    const path = join(directory, 'gateway.db');
    const stores: [DocumentStore, DocumentStore] = [
      createEmbeddedDocumentStore({ path }),
      createEmbeddedDocumentStore({ path }),
    ];
    return { stores, close: async () => void (await Promise.all(stores.map((store) => store.close()))) };
  });
});

describeWithInfra('budgets on the MongoDB protocol (two clients)', await findMongo(), (endpoint) => {
  budgetSuites(async () => {
    const database = uniqueName('keel_gateway_budgets').replace(/-/g, '_');
    const stores: [DocumentStore, DocumentStore] = [
      await createMongoDocumentStore({ url: endpoint.url, database }),
      await createMongoDocumentStore({ url: endpoint.url, database }),
    ];
    return { stores, close: async () => void (await Promise.all(stores.map((store) => store.close()))) };
  });
});
