/**
 * `GET /v1/usage` (totals and groups per day, key or model) and `GET /v1/usage/entries` (the
 * ledger's entries, newest day first, paged): the caller's own tenant only, with its API key.
 */
import { type ApiKeyResolver, asyncRoute, parseQuery, principalOf, requireApiKey } from '@keel/platform';
import { Router } from 'express';
import { formatAmount } from '../usage/price-table.js';
import type { UsageEntry, UsageLedger, UsageSummary, UsageTotals } from '../usage/usage-ledger.js';
import { usageEntriesQuerySchema, usageQuerySchema } from './admin/admin-params.js';

export function usageRouter(deps: { ledger: UsageLedger; apiKeys: ApiKeyResolver; currency: () => string }): Router {
  const router = Router();
  router.use('/v1/usage', requireApiKey(deps.apiKeys));
  router.get(
    '/v1/usage',
    asyncRoute(async (req, res) => {
      const { groupBy, ...query } = parseQuery(usageQuerySchema, req.query);
      const tenantId = principalOf(res).tenantId;
      res.json({
        tenantId,
        ...summaryView(await deps.ledger.summarise({ ...query, tenantId }, groupBy), deps.currency()),
      });
    }),
  );
  router.get(
    '/v1/usage/entries',
    asyncRoute(async (req, res) => {
      const { cursor, limit, ...query } = parseQuery(usageEntriesQuerySchema, req.query);
      const page = await deps.ledger.entries({ ...query, tenantId: principalOf(res).tenantId }, { cursor, limit });
      res.json({ data: page.items.map(entryView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
    }),
  );
  return router;
}

export function totalsView({ costNanos, ...totals }: UsageTotals) {
  return { ...totals, cost: Number(formatAmount(costNanos)) };
}

export function summaryView(summary: UsageSummary, currency: string) {
  return {
    currency,
    totals: totalsView(summary.totals),
    groups: summary.groups.map(({ key, ...totals }) => ({ key, ...totalsView(totals) })),
    truncated: summary.truncated,
  };
}

export function entryView({ costNanos, id, at, ...entry }: UsageEntry) {
  return { requestId: id, ...entry, cost: Number(formatAmount(costNanos)), at: new Date(at).toISOString() };
}
