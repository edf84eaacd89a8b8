/**
 * The admin API for accounts and the audit API over real HTTP: admins of a tenant and the admin
 * key with ?tenant=, tenant isolation, validation, conflicts, and what changes do to sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewItemFromRequest } from '../reviews/enqueue-review.js';
import { requested } from '../testing/fixtures.js';
import { ADMIN_KEY, type ConsoleApp, ConsoleClient, startConsoleApp, withKey } from './console-test-app.js';

let app: ConsoleApp;
let admin: ConsoleClient;

interface AccountJson {
  id: string;
  tenantId: string;
  username: string;
  displayName: string;
  roles: string[];
  groups: string[];
  disabled: boolean;
  createdAt: string;
  lastSignInAt: string | null;
}

beforeAll(async () => {
  app = await startConsoleApp();
  await app.account('acme', 'ada', ['admin']);
  await app.account('acme', 'leo', ['lead']);
  await app.account('globex', 'gwen', ['admin']);
  admin = new ConsoleClient(app.url);
  expect((await admin.signIn('ada', 'ada-password')).status).toBe(200);
});

afterAll(async () => {
  await app?.close();
});

async function ok<T>(response: Response, status: number): Promise<T> {
  const body = response.status === 204 ? undefined : await response.json();
  expect(response.status, JSON.stringify(body)).toBe(status);
  return body as T;
}

async function signIn(username: string, password: string): Promise<ConsoleClient> {
  const client = new ConsoleClient(app.url);
  await ok(await client.signIn(username, password), 200);
  return client;
}

describe('accounts API', () => {
  it('creates an account an admin lists, without its hash, and that can sign in', async () => {
    const created = await ok<AccountJson>(
      await admin.request('POST', '/v1/accounts', {
        username: 'Rosa',
        displayName: 'Rosa Díaz',
        password: 'rosa-password',
        roles: ['reviewer'],
        groups: ['legal', 'legal'],
      }),
      201,
    );
    expect(created).toMatchObject({
      tenantId: 'acme',
      username: 'rosa',
      displayName: 'Rosa Díaz',
      roles: ['reviewer'],
      groups: ['legal'],
      disabled: false,
      lastSignInAt: null,
    });
    expect(JSON.stringify(created)).not.toMatch(/argon|password/i);
    const list = await ok<{ items: AccountJson[] }>(await admin.request('GET', '/v1/accounts'), 200);
    expect(list.items.map((account) => account.username)).toEqual(expect.arrayContaining(['ada', 'leo', 'rosa']));
    expect(list.items.map((account) => account.username)).not.toContain('gwen');
    await signIn('rosa', 'rosa-password');
  });

  it('keeps usernames unique across tenants (409 ACCOUNT.USERNAME_TAKEN) and display names within one', async () => {
    const taken = await admin.request('POST', '/v1/accounts', {
      username: 'gwen',
      password: 'password-1',
      roles: ['reviewer'],
    });
    expect((await ok<{ code: string }>(taken, 409)).code).toBe('ACCOUNT.USERNAME_TAKEN');
    const sameName = await admin.request('POST', '/v1/accounts', {
      username: 'leo2',
      displayName: 'LEO',
      password: 'password-1',
      roles: ['reviewer'],
    });
    expect((await ok<{ code: string }>(sameName, 409)).code).toBe('ACCOUNT.DISPLAY_NAME_TAKEN');
  });

  it('names each invalid field', async () => {
    const response = await admin.request('POST', '/v1/accounts', {
      username: 'no spaces',
      password: 'short',
      roles: ['owner'],
      groups: ['x'.repeat(257)],
    });
    const body = await ok<{ errors: { field: string }[] }>(response, 400);
    expect(body.errors.map((error) => error.field).sort()).toEqual(['groups.0', 'password', 'roles.0', 'username']);
    const long = await admin.request('POST', '/v1/accounts', {
      username: 'longpass',
      password: 'p'.repeat(257),
      roles: ['reviewer'],
    });
    expect((await ok<{ errors: { field: string }[] }>(long, 400)).errors[0]?.field).toBe('password');
  });

  it('changes roles, groups and display name; a new password ends the other sessions', async () => {
    const created = await ok<AccountJson>(
      await admin.request('POST', '/v1/accounts', { username: 'pia', password: 'pia-password', roles: ['reviewer'] }),
      201,
    );
    const pia = await signIn('pia', 'pia-password');
    const changed = await ok<AccountJson>(
      await admin.request('PATCH', `/v1/accounts/${created.id}`, {
        roles: ['lead', 'reviewer'],
        groups: ['finance'],
        displayName: 'Pia P.',
      }),
      200,
    );
    expect(changed).toMatchObject({ roles: ['reviewer', 'lead'], groups: ['finance'], displayName: 'Pia P.' });
    // The session sees the change at once: roles and name come from the account, not the session.
    const session = await ok<{ account: AccountJson }>(await pia.request('GET', '/v1/session'), 200);
    expect(session.account).toMatchObject({ roles: ['reviewer', 'lead'], displayName: 'Pia P.' });
    await ok(await admin.request('PATCH', `/v1/accounts/${created.id}`, { password: 'pia-new-password' }), 200);
    expect((await pia.request('GET', '/v1/session')).status).toBe(401);
    expect((await new ConsoleClient(app.url).signIn('pia', 'pia-password')).status).toBe(401);
    await signIn('pia', 'pia-new-password');
  });

  it('ends every session of an account it disables, and refuses its sign-in', async () => {
    const created = await ok<AccountJson>(
      await admin.request('POST', '/v1/accounts', { username: 'dan', password: 'dan-password', roles: ['reviewer'] }),
      201,
    );
    const dan = await signIn('dan', 'dan-password');
    const now = Date.now();
    await app.reviews.deps.reviews.insert({
      ...reviewItemFromRequest(requested({ reviewId: 'held-by-dan', requestId: 'req-dan' }), now),
      status: 'claimed',
      claimedBy: 'dan',
      leaseExpiresAt: now + 300_000,
    });
    const disabled = await ok<AccountJson>(
      await admin.request('PATCH', `/v1/accounts/${created.id}`, { disabled: true }),
      200,
    );
    expect(disabled.disabled).toBe(true);
    expect(await app.accounts.sessions.count({ accountId: created.id })).toBe(0);
    expect((await dan.request('GET', '/v1/session')).status).toBe(401);
    const again = await new ConsoleClient(app.url).signIn('dan', 'dan-password');
    expect((await ok<{ code: string }>(again, 401)).code).toBe('AUTH.INVALID_CREDENTIALS');
    // What they held goes back to the queue at once.
    expect(await app.reviews.deps.reviews.get('held-by-dan')).toMatchObject({ status: 'pending', claimedBy: null });
  });

  it('deletes an account and its sessions; another tenant’s account is a 404 like a missing one', async () => {
    const created = await ok<AccountJson>(
      await admin.request('POST', '/v1/accounts', { username: 'tom', password: 'tom-password', roles: ['reviewer'] }),
      201,
    );
    const tom = await signIn('tom', 'tom-password');
    await ok(await admin.request('DELETE', `/v1/accounts/${created.id}`), 204);
    expect((await tom.request('GET', '/v1/session')).status).toBe(401);
    expect((await admin.request('DELETE', `/v1/accounts/${created.id}`)).status).toBe(404);
    const gwen = (await app.accounts.accounts.find({ where: { username: 'gwen' } })).items[0];
    const foreign = await admin.request('PATCH', `/v1/accounts/${gwen?.id}`, { disabled: true });
    expect((await ok<{ code: string }>(foreign, 404)).code).toBe('ACCOUNT.NOT_FOUND');
  });

  it('never leaves a tenant without an enabled admin', async () => {
    const ada = (await app.accounts.accounts.find({ where: { username: 'ada' } })).items[0];
    const demote = await admin.request('PATCH', `/v1/accounts/${ada?.id}`, { roles: ['lead'] });
    expect((await ok<{ code: string }>(demote, 409)).code).toBe('ACCOUNT.LAST_ADMIN');
    const remove = await admin.request('DELETE', `/v1/accounts/${ada?.id}`);
    expect((await ok<{ code: string }>(remove, 409)).code).toBe('ACCOUNT.LAST_ADMIN');
  });

  it('is for admins only: a lead and a named API key get 403 AUTH.FORBIDDEN_ROLE', async () => {
    const leo = await signIn('leo', 'leo-password');
    expect((await ok<{ code: string }>(await leo.request('GET', '/v1/accounts'), 403)).code).toBe(
      'AUTH.FORBIDDEN_ROLE',
    );
    const key = await withKey(app.url, 'alice-key', 'POST', '/v1/accounts', {
      username: 'x1',
      password: 'password-1',
      roles: ['admin'],
    });
    expect((await ok<{ code: string }>(key, 403)).code).toBe('AUTH.FORBIDDEN_ROLE');
  });

  it('lets KEEL_ADMIN_API_KEY manage any tenant it names with ?tenant=', async () => {
    const created = await ok<AccountJson>(
      await withKey(app.url, ADMIN_KEY, 'POST', '/v1/accounts?tenant=initech', {
        username: 'ian',
        password: 'ian-password',
        roles: ['admin'],
      }),
      201,
    );
    expect(created.tenantId).toBe('initech');
    const list = await ok<{ items: AccountJson[] }>(
      await withKey(app.url, ADMIN_KEY, 'GET', '/v1/accounts?tenant=initech'),
      200,
    );
    expect(list.items.map((account) => account.username)).toEqual(['ian']);
    const missing = await withKey(app.url, ADMIN_KEY, 'GET', '/v1/accounts');
    expect((await ok<{ errors: { field: string }[] }>(missing, 400)).errors[0]?.field).toBe('tenant');
    const wrongKey = await withKey(app.url, `${ADMIN_KEY}x`, 'GET', '/v1/accounts?tenant=initech');
    expect((await ok<{ code: string }>(wrongKey, 401)).code).toBe('AUTH.UNKNOWN_API_KEY');
  });
});

describe('audit API', () => {
  interface AuditPage {
    items: {
      id: string;
      at: string;
      actor: string;
      action: string;
      reviewId: string | null;
      detail: Record<string, unknown>;
    }[];
    nextCursor: string | null;
  }

  it('shows a lead every account change, newest first, filtered and paged', async () => {
    const leo = await signIn('leo', 'leo-password');
    const page = await ok<AuditPage>(await leo.request('GET', '/v1/audit?action=account.created&limit=2'), 200);
    expect(page.items).toHaveLength(2);
    expect(page.items.every((item) => item.action === 'account.created')).toBe(true);
    expect(Date.parse(page.items[0]?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(page.items[1]?.at ?? ''));
    expect(page.nextCursor).not.toBeNull();
    const next = await ok<AuditPage>(
      await leo.request(
        'GET',
        `/v1/audit?action=account.created&limit=2&cursor=${encodeURIComponent(page.nextCursor ?? '')}`,
      ),
      200,
    );
    expect(next.items.map((item) => item.id)).not.toContain(page.items[0]?.id);
    const byAda = await ok<AuditPage>(await leo.request('GET', '/v1/audit?actor=ada&action=account.updated'), 200);
    expect(byAda.items.length).toBeGreaterThan(0);
    expect(JSON.stringify(byAda)).not.toMatch(/pia-new-password|argon/);
  });

  it('keeps tenants apart, refuses reviewers, and names a bad cursor', async () => {
    const gwen = await signIn('gwen', 'gwen-password');
    const globex = await ok<AuditPage>(await gwen.request('GET', '/v1/audit'), 200);
    expect(globex.items.every((item) => item.actor !== 'ada')).toBe(true);
    const rosa = await signIn('rosa', 'rosa-password');
    expect((await ok<{ code: string }>(await rosa.request('GET', '/v1/audit'), 403)).code).toBe('AUTH.FORBIDDEN_ROLE');
    const bad = await gwen.request('GET', '/v1/audit?cursor=not-a-cursor');
    expect((await ok<{ errors: { field: string }[] }>(bad, 400)).errors[0]?.field).toBe('cursor');
  });
});
