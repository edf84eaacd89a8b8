/**
 * The admin API (`/v1/admin`, guarded by KEEL_ADMIN_API_KEY, problem+json errors):
 *  - keys: `POST /v1/admin/keys` (the secret is in this response only), `GET /v1/admin/keys`
 *    (`?tenantId=`, paged; never secrets), `GET /v1/admin/keys/{id}`, `POST /v1/admin/keys/{id}/rotate`
 *    (`gracePeriodSeconds`: how long the old secret keeps working), `DELETE /v1/admin/keys/{id}` (revoke);
 *  - limits and budgets: `GET|PUT|DELETE /v1/admin/tenants/{tenantId}/limits` and
 *    `/v1/admin/keys/{id}/limits` (a key id, or a static key's subject);
 *  - usage across tenants: `GET /v1/admin/usage` and `/v1/admin/usage/entries` (`?tenantId=` optional).
 */
import { asyncRoute, conflict, notFound, parseBody, parsePathParams, parseQuery, z } from '@keel/platform';
import { Router } from 'express';
import type { ApiKeyStore } from '../../tenancy/api-key-store.js';
import { publicKeyView } from '../../tenancy/api-key-store.js';
import type { Budgets } from '../../tenancy/budgets.js';
import { type LimitSettings, limitOverridesSchema, type Scope } from '../../tenancy/limit-settings.js';
import type { StoredKeyResolver } from '../../tenancy/stored-key-resolver.js';
import type { UsageLedger } from '../../usage/usage-ledger.js';
import { entryView, summaryView } from '../usage-routes.js';
import { requireAdminKey } from './admin-auth.js';
import { keyIdSchema, tenantIdSchema, usageEntriesQuerySchema, usageQuerySchema } from './admin-params.js';

export interface AdminDeps {
  adminApiKey: string | undefined;
  keys: ApiKeyStore;
  keyResolver: StoredKeyResolver;
  limits: LimitSettings;
  budgets: Budgets;
  ledger: UsageLedger;
  currency: () => string;
  now?: () => number;
}

const maxGraceSeconds = 30 * 24 * 3600;

const createKeySchema = z
  .object({
    tenantId: tenantIdSchema,
    groups: z.array(z.string().min(1).max(256)).max(256).default([]),
    name: z
      .string()
      .regex(/^[\w.@+ -]{1,64}$/, 'at most 64 letters, digits, spaces or . _ @ + -')
      .optional(),
    /** ISO 8601; or `expiresInSeconds`. */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    expiresInSeconds: z
      .number()
      .int()
      .min(1)
      .max(10 * 365 * 24 * 3600)
      .optional(),
  })
  .strict()
  .refine((body) => !(body.expiresAt && body.expiresInSeconds), {
    message: 'send expiresAt or expiresInSeconds, not both',
    path: ['expiresAt'],
  });

const rotateSchema = z.object({ gracePeriodSeconds: z.number().int().min(0).max(maxGraceSeconds).default(0) }).strict();

const listKeysQuery = z
  .object({
    tenantId: tenantIdSchema.optional(),
    cursor: z.string().min(1).max(2048).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
  })
  .strict();

const keyPath = z.object({ id: keyIdSchema });
const tenantPath = z.object({ tenantId: tenantIdSchema });
const adminUsageQuery = usageQuerySchema.extend({
  tenantId: tenantIdSchema.optional(),
  groupBy: z.enum(['day', 'key', 'model', 'tenant']).default('day'),
});
const adminEntriesQuery = usageEntriesQuerySchema.extend({ tenantId: tenantIdSchema.optional() });

const keyNotFound = () => notFound('API key', 'ADMIN.KEY_NOT_FOUND');

export function adminRouter(deps: AdminDeps): Router {
  const now = deps.now ?? Date.now;
  const router = Router();
  router.use('/v1/admin', requireAdminKey(deps.adminApiKey));

  router.post(
    '/v1/admin/keys',
    asyncRoute(async (req, res) => {
      const body = parseBody(createKeySchema, req.body);
      const at = now();
      const expiresAt = body.expiresAt
        ? Date.parse(body.expiresAt)
        : body.expiresInSeconds
          ? at + body.expiresInSeconds * 1000
          : undefined;
      const { record, token } = await deps.keys.create(
        { tenantId: body.tenantId, groups: body.groups, name: body.name, expiresAt },
        at,
      );
      res.status(201).json({ ...publicKeyView(record), key: token });
    }),
  );

  router.get(
    '/v1/admin/keys',
    asyncRoute(async (req, res) => {
      const query = parseQuery(listKeysQuery, req.query);
      const page = await deps.keys.list(query);
      res.json({ data: page.items.map(publicKeyView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
    }),
  );

  router.get(
    '/v1/admin/keys/:id',
    asyncRoute(async (req, res) => {
      const { id } = parsePathParams(keyPath, req.params);
      const record = await deps.keys.get(id);
      if (!record) throw keyNotFound();
      res.json(publicKeyView(record));
    }),
  );

  router.post(
    '/v1/admin/keys/:id/rotate',
    asyncRoute(async (req, res) => {
      const { id } = parsePathParams(keyPath, req.params);
      const { gracePeriodSeconds } = parseBody(rotateSchema, req.body ?? {});
      const rotated = await deps.keys.rotate(id, gracePeriodSeconds * 1000, now());
      deps.keyResolver.invalidate(id);
      if (!rotated) {
        const record = await deps.keys.get(id);
        if (!record) throw keyNotFound();
        throw record.revokedAt !== null
          ? conflict('the API key is revoked: create a new one', 'ADMIN.KEY_REVOKED')
          : conflict(
              'the API key was rotated by another request at the same time: retry',
              'ADMIN.KEY_ROTATED_CONCURRENTLY',
            );
      }
      res.json({ ...publicKeyView(rotated.record), key: rotated.token });
    }),
  );

  router.delete(
    '/v1/admin/keys/:id',
    asyncRoute(async (req, res) => {
      const { id } = parsePathParams(keyPath, req.params);
      const record = await deps.keys.revoke(id, now());
      deps.keyResolver.invalidate(id);
      if (!record) throw keyNotFound();
      res.json(publicKeyView(record));
    }),
  );

  const limitRoutes = (path: string, scopeOf: (params: unknown) => Scope) => {
    router.get(
      path,
      asyncRoute(async (req, res) => {
        const scope = scopeOf(req.params);
        const effective = await deps.limits.effective(scope);
        res.json({
          overrides: (await deps.limits.overrides(scope)) ?? {},
          effective,
          currency: deps.currency(),
          ...(effective.budget
            ? { budgetPeriod: await deps.budgets.current(scope, effective.budget.period, now()) }
            : {}),
        });
      }),
    );
    router.put(
      path,
      asyncRoute(async (req, res) => {
        const scope = scopeOf(req.params);
        const overrides = parseBody(limitOverridesSchema, req.body);
        await deps.limits.setOverrides(scope, overrides, now());
        res.json({ overrides, effective: await deps.limits.effective(scope), currency: deps.currency() });
      }),
    );
    router.delete(
      path,
      asyncRoute(async (req, res) => {
        const scope = scopeOf(req.params);
        await deps.limits.clearOverrides(scope);
        res.json({ overrides: {}, effective: await deps.limits.effective(scope), currency: deps.currency() });
      }),
    );
  };
  limitRoutes('/v1/admin/tenants/:tenantId/limits', (params) => ({
    kind: 'tenant',
    tenantId: parsePathParams(tenantPath, params).tenantId,
  }));
  limitRoutes('/v1/admin/keys/:id/limits', (params) => ({ kind: 'key', keyId: parsePathParams(keyPath, params).id }));

  router.get(
    '/v1/admin/usage',
    asyncRoute(async (req, res) => {
      const { groupBy, ...query } = parseQuery(adminUsageQuery, req.query);
      res.json(summaryView(await deps.ledger.summarise(query, groupBy), deps.currency()));
    }),
  );
  router.get(
    '/v1/admin/usage/entries',
    asyncRoute(async (req, res) => {
      const { cursor, limit, ...query } = parseQuery(adminEntriesQuery, req.query);
      const page = await deps.ledger.entries(query, { cursor, limit });
      res.json({ data: page.items.map(entryView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
    }),
  );
  return router;
}
