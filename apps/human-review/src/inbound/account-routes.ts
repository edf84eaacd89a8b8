/**
 * The admin API for reviewer accounts: list, create, change, delete the accounts of the caller's
 * tenant. For admins signed in to the console, and for `KEEL_ADMIN_API_KEY` with `?tenant=<id>`.
 * Another tenant's account answers 404 like a missing one; every change is audited.
 */
import { asyncRoute, parseBody, parsePathParams, z } from '@keel/platform';
import express from 'express';
import {
  ACCOUNT_LIMITS,
  accountView,
  PASSWORD_LIMITS,
  type ReviewAccount,
  usernamePattern,
} from '../accounts/account.js';
import {
  type AccountDeps,
  createAccount,
  deleteAccount,
  listAccounts,
  loadAccount,
  updateAccount,
} from '../accounts/accounts.js';
import { releaseLeasesOf } from '../accounts/release-leases.js';
import type { ReviewStore } from '../reviews/review-store.js';
import { REVIEW_ROLES } from '../reviews/reviewer.js';
import { type AuthenticateDeps, authenticate, callerOf } from './authenticate.js';
import { requireRole } from './reviewer-identity.js';

const password = z
  .string()
  .min(PASSWORD_LIMITS.min, `at least ${PASSWORD_LIMITS.min} characters`)
  .max(PASSWORD_LIMITS.max, `at most ${PASSWORD_LIMITS.max} characters`);
const displayName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(ACCOUNT_LIMITS.displayNameChars, `at most ${ACCOUNT_LIMITS.displayNameChars} characters`);
const roles = z
  .array(z.enum(REVIEW_ROLES))
  .min(1, 'give at least one role')
  .max(REVIEW_ROLES.length * 2);
const groups = z
  .array(
    z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(ACCOUNT_LIMITS.groupChars, `at most ${ACCOUNT_LIMITS.groupChars} characters`),
  )
  .max(ACCOUNT_LIMITS.groups, `at most ${ACCOUNT_LIMITS.groups} groups`);

const newAccountBody = z.object({
  username: z
    .string()
    .trim()
    .toLowerCase()
    .regex(usernamePattern, '1-64 characters: letters, digits and . _ @ + - (compared in lower case)'),
  displayName: displayName.optional(),
  password,
  roles,
  groups: groups.optional(),
});

const accountChangesBody = z.object({
  displayName: displayName.optional(),
  roles: roles.optional(),
  groups: groups.optional(),
  disabled: z.boolean().optional(),
  password: password.optional(),
});

const idParams = z.object({ id: z.string().min(1).max(256, 'at most 256 characters') });

export type AccountRoutesDeps = AccountDeps &
  AuthenticateDeps & {
    /** The review items, so that a disabled or deleted account's leases go back to the queue at once. */
    reviews?: ReviewStore['reviews'];
  };

export function accountRoutes(deps: AccountRoutesDeps): express.Router {
  const router = express.Router();
  router.use('/v1/accounts', authenticate(deps));
  const { reviews } = deps;

  async function releaseLeases(account: ReviewAccount, why: string): Promise<void> {
    if (reviews)
      await releaseLeasesOf({ ...deps, reviews }, { tenantId: account.tenantId, name: account.displayName }, why);
  }

  router.get(
    '/v1/accounts',
    asyncRoute(async (_req, res) => {
      const admin = requireRole(res, 'admin');
      const accounts = await listAccounts(deps.accounts, admin.tenantId);
      res.json({ items: accounts.map(accountView) });
    }),
  );

  router.post(
    '/v1/accounts',
    asyncRoute(async (req, res) => {
      const admin = requireRole(res, 'admin');
      const body = parseBody(newAccountBody, req.body);
      const account = await createAccount(deps, { tenantId: admin.tenantId, name: admin.name }, body);
      res.status(201).json(accountView(account));
    }),
  );

  router.patch(
    '/v1/accounts/:id',
    asyncRoute(async (req, res) => {
      const admin = requireRole(res, 'admin');
      const { id } = parsePathParams(idParams, req.params);
      const body = parseBody(accountChangesBody, req.body);
      const caller = callerOf(res);
      const account = await updateAccount(
        deps,
        { tenantId: admin.tenantId, name: admin.name },
        id,
        body,
        caller?.kind === 'session' ? caller.session : undefined,
      );
      if (account.disabled && body.disabled === true) await releaseLeases(account, 'account disabled');
      res.json(accountView(account));
    }),
  );

  router.delete(
    '/v1/accounts/:id',
    asyncRoute(async (req, res) => {
      const admin = requireRole(res, 'admin');
      const { id } = parsePathParams(idParams, req.params);
      const account = await loadAccount(deps.accounts, admin.tenantId, id);
      await deleteAccount(deps, { tenantId: admin.tenantId, name: admin.name }, id);
      await releaseLeases(account, 'account deleted');
      res.status(204).end();
    }),
  );

  return router;
}
