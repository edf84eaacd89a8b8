/**
 * Sign-in, sessions and the /v1 guard over real HTTP: the cookie and its flags, CSRF, sliding
 * expiry, lockout, uniform failures, roles as reviewer-identity.ts sees them, and sign-out giving
 * back the leases the person held.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_IN_POLICY } from '../accounts/sign-in.js';
import { reviewItemFromRequest } from '../reviews/enqueue-review.js';
import { requested } from '../testing/fixtures.js';
import { ADMIN_KEY, type ConsoleApp, ConsoleClient, HOUR, startConsoleApp, withKey } from './console-test-app.js';

let app: ConsoleApp;

beforeAll(async () => {
  app = await startConsoleApp({ sessionMs: 12 * HOUR });
  await app.account('acme', 'rita', ['reviewer'], { groups: ['legal'], displayName: 'Rita Reviewer' });
  await app.account('acme', 'leo', ['lead']);
  await app.account('acme', 'ada', ['admin']);
  await app.account('globex', 'gus', ['reviewer']);
});

afterAll(async () => {
  await app?.close();
});

afterEach(() => {
  // Tests that move the clock put it back (sessions compare with it).
  app.reviews.clock.now = Date.now();
});

async function signedIn(username: string, password = `${username}-password`): Promise<ConsoleClient> {
  const client = new ConsoleClient(app.url);
  const response = await client.signIn(username, password);
  expect(response.status, await response.clone().text()).toBe(200);
  return client;
}

async function problem(response: Response, status: number): Promise<{ code: string; detail: string }> {
  const body = (await response.json()) as { code: string; detail: string };
  expect(response.status, JSON.stringify(body)).toBe(status);
  return body;
}

describe('sign-in', () => {
  it('answers the account (never its hash), a CSRF token and the expiry, and sets a strict HttpOnly cookie', async () => {
    const client = new ConsoleClient(app.url);
    const started = Date.now();
    const response = await client.signIn('Rita', 'rita-password');
    const body = (await response.json()) as Record<string, unknown> & { account: Record<string, unknown> };
    expect(response.status).toBe(200);
    expect(body.account).toMatchObject({
      tenantId: 'acme',
      username: 'rita',
      displayName: 'Rita Reviewer',
      roles: ['reviewer'],
      groups: ['legal'],
      disabled: false,
    });
    expect(typeof body.account.lastSignInAt).toBe('string');
    expect(JSON.stringify(body)).not.toContain('argon2');
    expect(body.csrfToken).toMatch(/^[\w-]{43}$/);
    const expiresAt = Date.parse(String(body.expiresAt));
    expect(expiresAt - started).toBeGreaterThan(12 * HOUR - 60_000);
    expect(expiresAt - started).toBeLessThanOrEqual(12 * HOUR + 60_000);

    const cookie = client.lastSetCookie ?? '';
    expect(cookie).toMatch(/^keel_review_session=[\w-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain(`Max-Age=${12 * 3600}`);
    expect(cookie).not.toContain('Secure');
    expect(response.headers.get('cache-control')).toBe('no-store');

    const session = await client.request('GET', '/v1/session');
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({ account: { username: 'rita' }, csrfToken: body.csrfToken });
  });

  it('stores only a digest of the session token', async () => {
    const client = await signedIn('leo');
    const page = await app.accounts.sessions.find({ limit: 100 });
    const ids = page.items.map((session) => session.id);
    expect(ids).not.toContain(client.cookie);
    expect(ids.every((id) => /^[0-9a-f]{64}$/.test(id))).toBe(true);
  });

  it('marks the cookie Secure when REVIEW_COOKIE_SECURE is on', async () => {
    const secure = await startConsoleApp({ cookieSecure: true });
    try {
      await secure.account('acme', 'sam', ['reviewer']);
      const client = new ConsoleClient(secure.url);
      expect((await client.signIn('sam', 'sam-password')).status).toBe(200);
      expect(client.lastSetCookie).toContain('Secure');
    } finally {
      await secure.close();
    }
  });

  it('records sign-ins and failed sign-ins in the audit trail, never the password', async () => {
    const client = new ConsoleClient(app.url);
    await problem(await client.signIn('ada', 'not-her-password'), 401);
    await signedIn('ada');
    const records = (await app.audit.find({ where: { tenantId: 'acme', actor: 'ada' }, limit: 100 })).items;
    const actions = records.map((record) => record.action);
    expect(actions).toContain('session.sign-in-failed');
    expect(actions).toContain('session.signed-in');
    expect(JSON.stringify(records)).not.toContain('not-her-password');
  });

  it('refuses a sign-in posted by another site (login CSRF)', async () => {
    const client = new ConsoleClient(app.url);
    const response = await client.request(
      'POST',
      '/v1/session',
      { username: 'rita', password: 'rita-password' },
      { origin: 'https://evil.example' },
    );
    expect((await problem(response, 403)).code).toBe('AUTH.CSRF');
  });

  it('names the field of an invalid sign-in body', async () => {
    const client = new ConsoleClient(app.url);
    const response = await client.request('POST', '/v1/session', { username: 'rita' });
    const body = (await response.json()) as { errors: { field: string }[] };
    expect(response.status).toBe(400);
    expect(body.errors.map((error) => error.field)).toContain('password');
  });
});

describe('failed sign-ins', () => {
  it('answer a wrong password, an unknown user and a disabled account alike, in the same minimum time', async () => {
    const slow = await startConsoleApp({ minDurationMs: SIGN_IN_POLICY.minDurationMs });
    try {
      await slow.account('acme', 'pat', ['reviewer']);
      const disabledId = await slow.account('acme', 'dina', ['reviewer']);
      await slow.accounts.accounts.updateIf(disabledId, {}, { disabled: true });
      const client = new ConsoleClient(slow.url);
      // Warm the hashing code and the dummy hash first: the first call of each pays for loading.
      await client.signIn('nobody-at-all', 'warm-up-password');
      const attempts: [string, string][] = [
        ['pat', 'wrong-password'],
        ['no-such-user', 'wrong-password'],
        ['dina', 'dina-password'],
        ['pat', 'wrong-password'],
        ['no-such-user', 'wrong-password'],
        ['dina', 'dina-password'],
      ];
      const durations = new Map<string, number[]>();
      const bodies: string[] = [];
      for (const [username, password] of attempts) {
        const started = performance.now();
        const response = await client.signIn(username, password);
        const body = (await response.json()) as Record<string, unknown>;
        const took = performance.now() - started;
        durations.set(username, [...(durations.get(username) ?? []), took]);
        expect(response.status).toBe(401);
        // Per request by design: the request id (for support) and the path.
        const { instance: _instance, requestId: _requestId, ...rest } = body;
        bodies.push(JSON.stringify(rest));
      }
      expect(new Set(bodies).size).toBe(1);
      expect(JSON.parse(bodies[0] ?? '{}')).toMatchObject({ status: 401, code: 'AUTH.INVALID_CREDENTIALS' });
      const all = [...durations.values()].flat();
      for (const duration of all) expect(duration).toBeGreaterThanOrEqual(SIGN_IN_POLICY.minDurationMs - 5);
      // Padding makes the kinds alike: the fastest of each kind (the least disturbed by other work on
      // the machine) are within scheduling noise of each other.
      const fastest = [...durations.values()].map((taken) => Math.min(...taken));
      expect(Math.max(...fastest) - Math.min(...fastest)).toBeLessThan(100);
    } finally {
      await slow.close();
    }
  });

  it('lock a username after ten failures in 15 minutes: even the right password is refused, the same way', async () => {
    await app.account('acme', 'lou', ['reviewer']);
    const client = new ConsoleClient(app.url);
    for (let attempt = 0; attempt < SIGN_IN_POLICY.maxFailures; attempt++) {
      await problem(await client.signIn('lou', `guess-${attempt}`), 401);
    }
    const locked = await problem(await client.signIn('lou', 'lou-password'), 401);
    expect(locked.code).toBe('AUTH.INVALID_CREDENTIALS');
    const audited = await app.audit.find({ where: { actor: 'lou', action: 'session.sign-in-failed' }, limit: 100 });
    expect(audited.items.map((record) => record.detail.reason)).toContain('locked');
    // Other usernames are not affected.
    await signedIn('leo');
    app.reviews.clock.now = Date.now() + SIGN_IN_POLICY.lockMs + 1000;
    expect((await client.signIn('lou', 'lou-password')).status).toBe(200);
  });

  it('count unknown usernames too, so that locking reveals nothing', async () => {
    const client = new ConsoleClient(app.url);
    for (let attempt = 0; attempt < SIGN_IN_POLICY.maxFailures; attempt++) {
      await problem(await client.signIn('ghost', `guess-${attempt}`), 401);
    }
    expect(await app.accounts.failures.count({ username: 'ghost', kind: 'lock' })).toBe(1);
  });
});

describe('the /v1 guard', () => {
  it('answers 401 AUTH.MISSING_API_KEY without credentials', async () => {
    const response = await fetch(`${app.url}/v1/probe`);
    expect((await problem(response, 401)).code).toBe('AUTH.MISSING_API_KEY');
  });

  it('refuses an unsafe request without the session CSRF token, or with another one', async () => {
    const client = await signedIn('rita');
    const missing = await client.request('POST', '/v1/probe', {}, { 'x-csrf-token': '' });
    expect((await problem(missing, 403)).code).toBe('AUTH.CSRF');
    const other = await signedIn('leo');
    const foreign = await client.request('POST', '/v1/probe', {}, { 'x-csrf-token': other.csrfToken ?? '' });
    expect((await problem(foreign, 403)).code).toBe('AUTH.CSRF');
    expect((await client.request('POST', '/v1/probe', {})).status).toBe(200);
  });

  it("refuses a request from another origin even with the right token, and accepts the service's own", async () => {
    const client = await signedIn('rita');
    const evil = await client.request('POST', '/v1/probe', {}, { origin: 'https://evil.example' });
    expect((await problem(evil, 403)).code).toBe('AUTH.CSRF');
    const read = await client.request('GET', '/v1/probe', undefined, { origin: 'null' });
    expect((await problem(read, 403)).code).toBe('AUTH.CSRF');
    const crossSite = await client.request('GET', '/v1/probe', undefined, { 'sec-fetch-site': 'cross-site' });
    expect((await problem(crossSite, 403)).code).toBe('AUTH.CSRF');
    const own = await client.request('POST', '/v1/probe', {}, { origin: app.url });
    expect(own.status).toBe(200);
  });

  it('does not ask API-key callers for a CSRF token', async () => {
    const response = await withKey(app.url, 'alice-key', 'POST', '/v1/probe', {});
    expect(response.status).toBe(200);
  });

  it('slides the session forward with use, and ends it after REVIEW_SESSION_HOURS without use', async () => {
    const client = await signedIn('rita');
    const first = (await (await client.request('GET', '/v1/session')).json()) as { expiresAt: string };
    app.reviews.clock.now = Date.now() + 8 * HOUR;
    const slid = await client.request('GET', '/v1/session');
    const second = (await slid.json()) as { expiresAt: string };
    expect(Date.parse(second.expiresAt)).toBeGreaterThan(Date.parse(first.expiresAt) + 7 * HOUR);
    expect(client.lastSetCookie).toContain(`Max-Age=${12 * 3600}`);
    // 16 h after sign-in: alive, because it was used at 8 h.
    app.reviews.clock.now = Date.now() + 16 * HOUR;
    expect((await client.request('GET', '/v1/session')).status).toBe(200);
    app.reviews.clock.now = Date.now() + 29 * HOUR;
    const expired = await client.request('GET', '/v1/session');
    expect((await problem(expired, 401)).code).toBe('AUTH.SESSION_EXPIRED');
    expect(client.lastSetCookie).toMatch(/Expires=Thu, 01 Jan 1970/);
  });

  it('rejects a forged or unknown session cookie', async () => {
    const client = new ConsoleClient(app.url);
    client.cookie = 'A'.repeat(43);
    expect((await problem(await client.request('GET', '/v1/session'), 401)).code).toBe('AUTH.SESSION_EXPIRED');
  });
});

describe('identity and roles', () => {
  it('acts as the account: its display name, roles, ACL groups and id', async () => {
    const client = await signedIn('rita');
    const read = (await (await client.request('GET', '/v1/probe')).json()) as { reader: unknown };
    expect(read.reader).toEqual({ tenantId: 'acme', aclGroups: ['legal'] });
    const acted = (await (await client.request('POST', '/v1/probe', {})).json()) as { reviewer: unknown };
    expect(acted.reviewer).toMatchObject({
      tenantId: 'acme',
      name: 'Rita Reviewer',
      roles: ['reviewer'],
      aclGroups: ['legal'],
      accountId: expect.any(String),
    });
  });

  it('lets each role do what the roles below it may, and no more (403 AUTH.FORBIDDEN_ROLE)', async () => {
    const rita = await signedIn('rita');
    const leo = await signedIn('leo');
    const ada = await signedIn('ada');
    expect((await problem(await rita.request('POST', '/v1/probe?role=lead', {}), 403)).code).toBe(
      'AUTH.FORBIDDEN_ROLE',
    );
    expect((await leo.request('POST', '/v1/probe?role=lead', {})).status).toBe(200);
    expect((await problem(await leo.request('POST', '/v1/probe?role=admin', {}), 403)).code).toBe(
      'AUTH.FORBIDDEN_ROLE',
    );
    expect((await ada.request('POST', '/v1/probe?role=lead', {})).status).toBe(200);
    expect((await ada.request('POST', '/v1/probe?role=reviewer', {})).status).toBe(200);
  });

  it('gives a named API key reviewer and lead, never admin; an unnamed key reads only', async () => {
    const lead = await withKey(app.url, 'alice-key', 'POST', '/v1/probe?role=lead', {});
    expect(await lead.json()).toMatchObject({ reviewer: { name: 'Alice', roles: ['reviewer', 'lead'] } });
    const admin = await withKey(app.url, 'alice-key', 'POST', '/v1/probe?role=admin', {});
    expect((await problem(admin, 403)).code).toBe('AUTH.FORBIDDEN_ROLE');
    expect((await withKey(app.url, 'robot-key', 'GET', '/v1/probe')).status).toBe(200);
    const act = await withKey(app.url, 'robot-key', 'POST', '/v1/probe', {});
    expect((await problem(act, 403)).code).toBe('REVIEW.REVIEWER_UNNAMED');
  });

  it('lets the admin key administer the tenant it names, and review nothing', async () => {
    const admin = await withKey(app.url, ADMIN_KEY, 'POST', '/v1/probe?role=admin&tenant=globex', {});
    expect(await admin.json()).toMatchObject({ reviewer: { tenantId: 'globex', roles: ['admin'] } });
    const review = await withKey(app.url, ADMIN_KEY, 'POST', '/v1/probe?tenant=globex', {});
    expect((await problem(review, 403)).code).toBe('AUTH.FORBIDDEN_ROLE');
    const noTenant = await withKey(app.url, ADMIN_KEY, 'GET', '/v1/probe');
    expect(noTenant.status).toBe(400);
    expect(JSON.stringify(await noTenant.json())).toContain('"field":"tenant"');
  });
});

describe('sign-out', () => {
  it('ends the session, clears the cookie and releases every lease the person holds', async () => {
    const now = Date.now();
    const claimedBy = (id: string, name: string) => ({
      ...reviewItemFromRequest(requested({ reviewId: id, requestId: `req-${id}` }), now),
      status: 'claimed' as const,
      claimedBy: name,
      leaseExpiresAt: now + 300_000,
    });
    await app.reviews.deps.reviews.insert(claimedBy('held-1', 'Rita Reviewer'));
    await app.reviews.deps.reviews.insert(claimedBy('held-2', 'Rita Reviewer'));
    await app.reviews.deps.reviews.insert(claimedBy('held-by-leo', 'leo'));
    const client = await signedIn('rita');
    const signedOut = await client.request('DELETE', '/v1/session');
    expect(signedOut.status).toBe(204);
    expect(client.lastSetCookie).toMatch(/^keel_review_session=;.*Expires=Thu, 01 Jan 1970/);
    for (const id of ['held-1', 'held-2']) {
      expect(await app.reviews.deps.reviews.get(id)).toMatchObject({ status: 'pending', claimedBy: null });
    }
    expect(await app.reviews.deps.reviews.get('held-by-leo')).toMatchObject({ status: 'claimed', claimedBy: 'leo' });
    const audit = (await app.audit.find({ where: { tenantId: 'acme', actor: 'Rita Reviewer' }, limit: 100 })).items;
    expect(
      audit
        .filter((record) => record.action === 'review.released')
        .map((record) => record.reviewId)
        .sort(),
    ).toEqual(['held-1', 'held-2']);
    expect(audit.find((record) => record.action === 'session.signed-out')?.detail).toMatchObject({ released: 2 });
  });

  it('leaves the old cookie worthless', async () => {
    const client = await signedIn('rita');
    const cookie = client.cookie;
    expect((await client.request('DELETE', '/v1/session')).status).toBe(204);
    client.cookie = cookie;
    expect((await client.request('GET', '/v1/session')).status).toBe(401);
  });

  it('needs the CSRF token like every unsafe request', async () => {
    const client = await signedIn('rita');
    const response = await client.request('DELETE', '/v1/session', undefined, { 'x-csrf-token': 'nope' });
    expect((await problem(response, 403)).code).toBe('AUTH.CSRF');
    expect((await client.request('GET', '/v1/session')).status).toBe(200);
  });
});
