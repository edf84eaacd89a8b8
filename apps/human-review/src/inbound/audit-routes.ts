/**
 * `GET /v1/audit` for leads (and admins, and the admin key with `?tenant=`): the tenant's audit
 * trail, newest first, optionally for one item, one person or one action, paged by cursor.
 */
import { asyncRoute, parseQuery, z } from '@keel/platform';
import express from 'express';
import { type AuditLog, auditView, listAudit } from '../audit/audit-log.js';
import { type AuthenticateDeps, authenticate } from './authenticate.js';
import { requireRole } from './reviewer-identity.js';

const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 50;

const text = (limit: number) => z.string().min(1).max(limit, `at most ${limit} characters`);

const auditQuery = z.object({
  reviewId: text(256).optional(),
  actor: text(256).optional(),
  action: text(128).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: text(2048).optional(),
});

export interface AuditRoutesDeps extends AuthenticateDeps {
  audit: AuditLog;
}

export function auditRoutes(deps: AuditRoutesDeps): express.Router {
  const router = express.Router();
  router.use('/v1/audit', authenticate(deps));

  router.get(
    '/v1/audit',
    asyncRoute(async (req, res) => {
      const lead = requireRole(res, 'lead');
      const query = parseQuery(auditQuery, req.query);
      const page = await listAudit(deps.audit, lead.tenantId, {
        limit: query.limit,
        ...(query.reviewId !== undefined ? { reviewId: query.reviewId } : {}),
        ...(query.actor !== undefined ? { actor: query.actor } : {}),
        ...(query.action !== undefined ? { action: query.action } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      res.json({ items: page.items.map(auditView), nextCursor: page.nextCursor ?? null });
    }),
  );

  return router;
}
