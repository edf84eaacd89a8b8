/**
 * The one place that turns a request's credentials into a reader or a reviewer. A person signed
 * in to the console is their account: its display name signs leases and decisions, its roles and
 * ACL groups are the account's. An API key acts as the name configured for it (`KEEL_API_KEYS`
 * entry `key=tenant:groups:name`; the demo key's name is `demo`) with roles reviewer and lead,
 * never a digest of the key: decisions name a person. The admin key administers one tenant
 * (`?tenant=`) and reviews nothing. Which credential was used is decided by authenticate.ts.
 */
import { principalOf } from '@keel/platform';
import type express from 'express';
import { forbiddenRole } from '../accounts/account-errors.js';
import { reviewerUnnamed } from '../reviews/review-errors.js';
import { hasRole, type Reader, type Reviewer, type ReviewRole } from '../reviews/reviewer.js';
import { ADMIN_KEY_ACTOR, callerOf } from './authenticate.js';

/** Whoever may read: the caller's tenant and ACL groups. */
export function readerOf(res: express.Response): Reader {
  const principal = principalOf(res);
  return { tenantId: principal.tenantId, aclGroups: [...principal.aclGroups] };
}

/** The caller as the person they act as, without checking a role (null for an unnamed key). */
function actorOf(res: express.Response): Reviewer | null {
  const principal = principalOf(res);
  const caller = callerOf(res);
  if (caller?.kind === 'session') {
    const { account } = caller;
    return {
      tenantId: account.tenantId,
      aclGroups: [...account.groups],
      name: account.displayName,
      roles: [...account.roles],
      accountId: account.id,
    };
  }
  if (caller?.kind === 'admin-key') {
    return { tenantId: principal.tenantId, aclGroups: [], name: ADMIN_KEY_ACTOR, roles: ['admin'] };
  }
  const name = principal.name?.trim();
  if (!name) return null;
  // A named API key is a person's or a script's: it reviews and may run a lead's bulk actions, never administer.
  return { tenantId: principal.tenantId, aclGroups: [...principal.aclGroups], name, roles: ['reviewer', 'lead'] };
}

/**
 * Whoever acts on an item: a reader with a name, else 403 `REVIEW.REVIEWER_UNNAMED`. The admin
 * key administers and never holds leases or decides (403 `AUTH.FORBIDDEN_ROLE`).
 */
export function reviewerOf(res: express.Response): Reviewer {
  if (callerOf(res)?.kind === 'admin-key')
    throw forbiddenRole('reviewer (the admin key administers; it does not review)');
  const actor = actorOf(res);
  if (!actor) throw reviewerUnnamed();
  return actor;
}

/**
 * The caller, if they hold `role` (directly or through a role that includes it), else 403
 * `AUTH.FORBIDDEN_ROLE`. The admin key holds `admin` in the tenant it names; its name is
 * `KEEL_ADMIN_API_KEY` in the audit log.
 */
export function requireRole(res: express.Response, role: ReviewRole): Reviewer {
  const actor = actorOf(res);
  if (!actor || !hasRole(actor, role)) throw forbiddenRole(role);
  return actor;
}
