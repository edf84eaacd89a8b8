/**
 * Test fixture: the console's sign-in, accounts and audit routes, plus a probe route that shows
 * who reviewer-identity.ts sees, served over real HTTP on the embedded store. Clients keep the
 * session cookie and the CSRF token like the console does.
 */
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import {
  type ApiKeyEntry,
  asyncRoute,
  createStaticApiKeyResolver,
  Readiness,
  type RunningHttpServer,
  serveHttp,
} from '@keel/platform';
import express from 'express';
import { type AccountCollections, openAccounts } from '../accounts/account-setup.js';
import { createAccount } from '../accounts/accounts.js';
import { AUDIT_COLLECTION, type AuditLog, type AuditRecord, auditCollectionOptions } from '../audit/audit-log.js';
import type { ReviewRole } from '../reviews/reviewer.js';
import { openReviewFixture, type ReviewFixture } from '../testing/fixtures.js';
import { accountRoutes } from './account-routes.js';
import { auditRoutes } from './audit-routes.js';
import { type AuthenticateDeps, authenticate } from './authenticate.js';
import { readerOf, requireRole, reviewerOf } from './reviewer-identity.js';
import { SESSION_COOKIE } from './session-cookie.js';
import { sessionRoutes } from './session-routes.js';

export const ADMIN_KEY = 'the-admin-key-of-this-test-installation-0123456789';
export const HOUR = 3_600_000;

export interface ConsoleApp {
  url: string;
  store: DocumentStore;
  reviews: ReviewFixture;
  accounts: AccountCollections;
  audit: AuditLog;
  /** Creates an account directly in the store (as the service would for an admin). */
  account(
    tenantId: string,
    username: string,
    roles: ReviewRole[],
    extra?: { groups?: string[]; password?: string; displayName?: string },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startConsoleApp(
  options: { minDurationMs?: number; sessionMs?: number; cookieSecure?: boolean; apiKeys?: ApiKeyEntry[] } = {},
): Promise<ConsoleApp> {
  const store = createEmbeddedDocumentStore({ path: ':memory:' });
  const reviews = await openReviewFixture(store);
  const now = () => reviews.clock.now;
  const audit = await store.collection<AuditRecord>(AUDIT_COLLECTION, auditCollectionOptions);
  const accounts = await openAccounts(store, audit, now);
  const auth: AuthenticateDeps & AccountCollections = {
    ...accounts,
    apiKeys: createStaticApiKeyResolver(
      options.apiKeys ?? [
        { key: 'alice-key', tenantId: 'acme', name: 'Alice' },
        { key: 'robot-key', tenantId: 'acme' },
      ],
    ),
    adminApiKey: ADMIN_KEY,
    sessionMs: options.sessionMs ?? 12 * HOUR,
    cookie: { secure: options.cookieSecure ?? false },
  };
  // Shows what the identity module makes of the caller, for reads and (POST) for acts.
  const probe = express.Router();
  probe.use('/v1/probe', authenticate(auth));
  probe.get('/v1/probe', (_req, res) => {
    res.json({ reader: readerOf(res) });
  });
  probe.post(
    '/v1/probe',
    asyncRoute(async (req, res) => {
      const role = (req.query.role as ReviewRole | undefined) ?? undefined;
      res.json({ reviewer: role ? requireRole(res, role) : reviewerOf(res) });
    }),
  );
  const http: RunningHttpServer = await serveHttp({
    serviceName: 'human-review',
    logger: reviews.log.logger,
    readiness: new Readiness(),
    port: 0,
    host: '127.0.0.1',
    handlers: [
      sessionRoutes({
        ...auth,
        reviews: reviews.deps.reviews,
        logger: reviews.log.logger,
        minDurationMs: options.minDurationMs ?? 0,
      }),
      probe,
      accountRoutes({ ...auth, reviews: reviews.deps.reviews }),
      auditRoutes(auth),
    ],
  });
  return {
    url: http.url,
    store,
    reviews,
    accounts,
    audit,
    async account(tenantId, username, roles, extra = {}) {
      const created = await createAccount(
        accounts,
        { tenantId, name: 'test' },
        {
          username,
          roles,
          password: extra.password ?? `${username}-password`,
          ...(extra.groups ? { groups: extra.groups } : {}),
          ...(extra.displayName ? { displayName: extra.displayName } : {}),
        },
      );
      return created.id;
    },
    async close() {
      await http.close();
      await store.close();
    },
  };
}

/** A browser-like client: keeps the session cookie, sends the CSRF token on unsafe methods. */
export class ConsoleClient {
  cookie: string | undefined;
  csrfToken: string | undefined;
  lastSetCookie: string | undefined;

  constructor(readonly baseUrl: string) {}

  async signIn(username: string, password: string): Promise<Response> {
    const response = await this.request('POST', '/v1/session', { username, password });
    if (response.status === 200) {
      const body = (await response.clone().json()) as { csrfToken: string };
      this.csrfToken = body.csrfToken;
    }
    return response;
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const sent: Record<string, string> = { ...headers };
    if (this.cookie) sent.cookie = `${SESSION_COOKIE}=${this.cookie}`;
    if (this.csrfToken && method !== 'GET' && !('x-csrf-token' in headers)) sent['x-csrf-token'] = this.csrfToken;
    if (body !== undefined) sent['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: sent,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const setCookie = response.headers.get('set-cookie') ?? undefined;
    if (setCookie?.startsWith(`${SESSION_COOKIE}=`)) {
      this.lastSetCookie = setCookie;
      const value = setCookie.slice(SESSION_COOKIE.length + 1).split(';')[0] ?? '';
      this.cookie = value.length > 0 ? value : undefined;
    }
    return response;
  }
}

/** A request with an API key (or the admin key) instead of a session. */
export function withKey(baseUrl: string, key: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}
