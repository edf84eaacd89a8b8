/**
 * Everything the gateway's replicas share about tenants and money, built over one DocumentStore
 * (MongoDB in a cluster, the embedded SQLite file otherwise): issued keys, limit overrides,
 * rate-limit windows, budget periods and reservations, the usage ledger and the response cache;
 * plus the price table and the metering that uses them.
 */
import type { DocumentStore } from '@keel/doc-store';
import type { Logger } from '@keel/platform';
import { createResponseCache, type ResponseCache } from '../caching/response-cache.js';
import { createMetering, type Metering } from '../usage/metering.js';
import { createPriceTable, type PriceTable } from '../usage/price-table.js';
import { createUsageLedger, type UsageLedger } from '../usage/usage-ledger.js';
import { type ApiKeyStore, createDocumentApiKeyStore } from './api-key-store.js';
import { type Budgets, createBudgets } from './budgets.js';
import { createLimitSettings, type LimitSettings } from './limit-settings.js';
import { createRateLimiter } from './rate-limiter.js';
import { createStoredKeyResolver, type StoredKeyResolver } from './stored-key-resolver.js';
import type { TenancyConfig } from './tenancy-env.js';

export interface Tenancy {
  keys: ApiKeyStore;
  keyResolver: StoredKeyResolver;
  limits: LimitSettings;
  budgets: Budgets;
  ledger: UsageLedger;
  /** The routing file's `pricing` section goes to `prices.update(section)` on every (re)load. */
  prices: PriceTable;
  cache: ResponseCache | undefined;
  metering: Metering;
  adminApiKey: string | undefined;
  /**
   * Stops the background release of stale reservations, waits for the usage being recorded and
   * gives back the slices of budgets and rate windows this replica holds.
   */
  stop(): Promise<void>;
}

const staleSweepMs = 60_000;

export async function createTenancy(
  store: DocumentStore,
  config: TenancyConfig,
  logger: Logger,
  options: { prices?: PriceTable; now?: () => number } = {},
): Promise<Tenancy> {
  const now = options.now ?? Date.now;
  const keys = await createDocumentApiKeyStore(store);
  const limits = await createLimitSettings(store, config.limitDefaults, { cacheMs: config.limitsCacheMs, now });
  // Leases: limits and budgets are checked and settled in memory against slices this replica
  // holds, written in batches (see budget-leases.ts and window-leases.ts).
  const rateLimiter = await createRateLimiter(store, { leases: config.leases, now });
  const budgets = await createBudgets(store, { leases: config.leases, now });
  // Written behind the requests, in batches: one transaction for up to 200 entries or 50 ms.
  const ledger = await createUsageLedger(store, { writeBehind: { maxDelayMs: 50, maxEntries: 200 } });
  const prices = options.prices ?? createPriceTable();
  const cache =
    config.responseCacheTtlMs === undefined ? undefined : await createResponseCache(store, config.responseCacheTtlMs);
  const metering = createMetering({
    prices,
    limits,
    rateLimiter,
    budgets,
    ledger,
    logger,
    defaultMaxOutputTokens: config.defaultMaxOutputTokens,
    now,
  });
  const sweep = setInterval(() => {
    budgets.releaseStale(now()).then(
      (released) => {
        if (released > 0) logger.warn({ released }, 'released budget reservations whose request never settled');
      },
      (error: unknown) => logger.warn({ err: error }, 'releasing stale budget reservations failed'),
    );
  }, staleSweepMs);
  sweep.unref();
  return {
    keys,
    keyResolver: createStoredKeyResolver(keys, { cacheMs: config.apiKeyCacheMs, now }),
    limits,
    budgets,
    ledger,
    prices,
    cache,
    metering,
    adminApiKey: config.adminApiKey,
    async stop() {
      clearInterval(sweep);
      await metering.flush();
      await Promise.all([budgets.stop(), rateLimiter.stop()]);
    },
  };
}
