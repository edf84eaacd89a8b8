/**
 * The console's sign-in: `POST /v1/session` (username and password → the session cookie and its
 * CSRF token), `GET /v1/session` (who is signed in; the console's first call), `DELETE
 * /v1/session` (sign out: the session ends and every lease the person holds is released).
 * Sign-in needs no credentials; the other two need the session cookie.
 */
import { asyncRoute, parseBody, z } from '@keel/platform';
import express from 'express';
import { accountView, PASSWORD_LIMITS, type ReviewAccount } from '../accounts/account.js';
import { csrfRefused, noSession } from '../accounts/account-errors.js';
import { releaseLeasesOf } from '../accounts/release-leases.js';
import { endSession, findSession, type ReviewSession } from '../accounts/sessions.js';
import { type SignInDeps, signIn } from '../accounts/sign-in.js';
import type { AuditLog } from '../audit/audit-log.js';
import { recordAudit } from '../audit/audit-log.js';
import type { ReviewStore } from '../reviews/review-store.js';
import { type AuthenticateDeps, authenticate, callerOf, fromOwnOrigin } from './authenticate.js';
import { type CookieSettings, clearSessionCookie, sessionTokenOf, setSessionCookie } from './session-cookie.js';

const signInBody = z.object({
  username: z.string().min(1).max(256, 'at most 256 characters'),
  password: z.string().min(1).max(PASSWORD_LIMITS.max, `at most ${PASSWORD_LIMITS.max} characters`),
});

export interface SessionRoutesDeps extends SignInDeps, AuthenticateDeps {
  reviews: ReviewStore['reviews'];
  audit: AuditLog;
  cookie: CookieSettings;
}

function sessionBody(account: ReviewAccount, session: ReviewSession) {
  return {
    account: accountView(account),
    csrfToken: session.csrfToken,
    expiresAt: new Date(session.expiresAt).toISOString(),
  };
}

export function sessionRoutes(deps: SessionRoutesDeps): express.Router {
  const router = express.Router();
  const guard = authenticate(deps);

  router.post(
    '/v1/session',
    asyncRoute(async (req, res) => {
      res.set('cache-control', 'no-store');
      // Another site must not sign a browser in to an account of its choosing (login CSRF).
      if (!fromOwnOrigin(req, deps.cookie.secure)) {
        throw csrfRefused('sign-in comes from another site (Origin); sign in on the console itself');
      }
      const body = parseBody(signInBody, req.body);
      const signedIn = await signIn(deps, body);
      // A browser that was signed in as someone else ends that session rather than leaving it behind.
      const previous = sessionTokenOf(req);
      const old = previous ? await findSession(deps.sessions, previous, deps.now()) : null;
      if (old) await endSession(deps.sessions, old);
      setSessionCookie(res, signedIn.token, signedIn.session.expiresAt, deps.now(), deps.cookie);
      res.json(sessionBody(signedIn.account, signedIn.session));
    }),
  );

  router.get(
    '/v1/session',
    guard,
    asyncRoute(async (_req, res) => {
      res.set('cache-control', 'no-store');
      const caller = callerOf(res);
      if (caller?.kind !== 'session') throw noSession();
      res.json(sessionBody(caller.account, caller.session));
    }),
  );

  router.delete(
    '/v1/session',
    guard,
    asyncRoute(async (_req, res) => {
      const caller = callerOf(res);
      if (caller?.kind !== 'session') throw noSession();
      const { account, session } = caller;
      await endSession(deps.sessions, session);
      clearSessionCookie(res, deps.cookie);
      const released = await releaseLeasesOf(
        deps,
        { tenantId: account.tenantId, name: account.displayName },
        'signed out',
      );
      await recordAudit(
        deps.audit,
        {
          tenantId: account.tenantId,
          actor: account.displayName,
          action: 'session.signed-out',
          detail: { accountId: account.id, released: released.length },
        },
        deps.now(),
      );
      res.status(204).end();
    }),
  );

  return router;
}
