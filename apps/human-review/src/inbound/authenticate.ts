/**
 * The `/v1` guard: a request is made by a person signed in to the console (the session cookie),
 * by an API key (`Authorization: Bearer`), or by the admin key (`KEEL_ADMIN_API_KEY`, which names
 * the tenant it administers in `?tenant=`). An explicit Authorization header wins over a cookie:
 * it is what the caller chose to send, and no other site can make a browser send it.
 *
 * Cookies are sent by browsers on their own, so a cookie-authenticated request must prove it comes
 * from the console: every unsafe method carries the session's `x-csrf-token`, and any request whose
 * `Origin` (or `Sec-Fetch-Site`) says another site sent it is refused, whatever its method.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type ApiKeyResolver, type Principal, unauthenticated, validationError } from '@keel/platform';
import type express from 'express';
import type { ReviewAccount } from '../accounts/account.js';
import { csrfRefused, sessionExpired } from '../accounts/account-errors.js';
import type { AccountStore } from '../accounts/accounts.js';
import {
  csrfTokenMatches,
  endSession,
  findSession,
  type ReviewSession,
  type SessionStore,
  touchSession,
} from '../accounts/sessions.js';
import { type CookieSettings, clearSessionCookie, sessionTokenOf, setSessionCookie } from './session-cookie.js';

/** The name the admin key acts under in the audit log. */
export const ADMIN_KEY_ACTOR = 'KEEL_ADMIN_API_KEY';

export const CSRF_HEADER = 'x-csrf-token';

export interface AuthenticateDeps {
  apiKeys: ApiKeyResolver;
  adminApiKey?: string;
  accounts: AccountStore;
  sessions: SessionStore;
  /** Epoch milliseconds. */
  now: () => number;
  sessionMs: number;
  cookie: CookieSettings;
}

/** Who made the request, beyond the principal every route reads. */
export type Caller =
  | { kind: 'session'; account: ReviewAccount; session: ReviewSession }
  | { kind: 'api-key' }
  | { kind: 'admin-key' };

const callerKey = 'reviewCaller';

export function callerOf(res: express.Response): Caller | undefined {
  return res.locals[callerKey] as Caller | undefined;
}

// Every other method (POST, PUT, PATCH, DELETE and any unusual one) needs the CSRF token.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const tenantPattern = /^[\w.-]{1,128}$/;
const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

function bearerOf(header: string): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

/** Whether the browser says the request comes from the service's own origin (or says nothing). */
export function fromOwnOrigin(req: express.Request, secure: boolean): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.get('origin');
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `null` (a sandboxed or privacy-stripped origin) included
  }
  if (secure && url.protocol !== 'https:') return false;
  return url.host === req.get('host');
}

function establish(res: express.Response, principal: Principal, caller: Caller): void {
  res.locals.principal = principal;
  res.locals[callerKey] = caller;
}

function isSignIn(req: express.Request): boolean {
  return req.method === 'POST' && `${req.baseUrl}${req.path}`.replace(/\/+$/, '') === '/v1/session';
}

export function authenticate(deps: AuthenticateDeps): express.RequestHandler {
  const adminDigest = deps.adminApiKey ? digest(deps.adminApiKey) : undefined;

  async function byBearer(req: express.Request, res: express.Response, header: string): Promise<void> {
    const key = bearerOf(header);
    if (key === undefined) {
      throw unauthenticated('send an API key as "Authorization: Bearer <key>"', 'AUTH.MISSING_API_KEY');
    }
    if (adminDigest && timingSafeEqual(digest(key), adminDigest)) {
      const tenant = req.query.tenant;
      if (typeof tenant !== 'string' || !tenantPattern.test(tenant)) {
        throw validationError([
          { field: 'tenant', message: 'the admin key acts for one tenant: pass ?tenant=<tenant id>' },
        ]);
      }
      establish(res, { tenantId: tenant, subject: ADMIN_KEY_ACTOR, aclGroups: [] }, { kind: 'admin-key' });
      return;
    }
    const principal = await deps.apiKeys.resolve(key);
    if (principal === null) throw unauthenticated('the API key is not valid', 'AUTH.UNKNOWN_API_KEY');
    establish(res, principal, { kind: 'api-key' });
  }

  async function bySession(req: express.Request, res: express.Response, token: string): Promise<void> {
    const now = deps.now();
    const session = await findSession(deps.sessions, token, now);
    const account = session ? await deps.accounts.get(session.accountId) : null;
    if (!session || !account || account.disabled || account.tenantId !== session.tenantId) {
      if (session) await endSession(deps.sessions, session);
      clearSessionCookie(res, deps.cookie);
      throw sessionExpired();
    }
    if (!fromOwnOrigin(req, deps.cookie.secure)) {
      throw csrfRefused('the request comes from another site (Origin); the console calls its own origin only');
    }
    if (!SAFE_METHODS.has(req.method) && !csrfTokenMatches(session, req.get(CSRF_HEADER))) {
      throw csrfRefused(`send the session's csrfToken (from POST or GET /v1/session) in the ${CSRF_HEADER} header`);
    }
    const touched = await touchSession(deps.sessions, session, now, deps.sessionMs);
    if (touched.expiresAt !== session.expiresAt) setSessionCookie(res, token, touched.expiresAt, now, deps.cookie);
    establish(
      res,
      {
        tenantId: account.tenantId,
        subject: account.username,
        aclGroups: [...account.groups],
        name: account.displayName,
      },
      { kind: 'session', account, session: touched },
    );
  }

  return (req, res, next) => {
    // Mounted in front of several routers: the first one to run decides.
    if (res.locals.principal !== undefined || isSignIn(req)) {
      next();
      return;
    }
    const header = req.get('authorization');
    const token = sessionTokenOf(req);
    let work: Promise<void>;
    if (header !== undefined) work = byBearer(req, res, header);
    else if (token !== undefined) work = bySession(req, res, token);
    else {
      next(
        unauthenticated(
          'sign in to the console (POST /v1/session) or send an API key as "Authorization: Bearer <key>"',
          'AUTH.MISSING_API_KEY',
        ),
      );
      return;
    }
    work.then(() => next(), next);
  };
}
