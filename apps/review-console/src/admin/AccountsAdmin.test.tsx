// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { Account } from '../api/types';
import { fakeService } from '../lead/fake-service';
import { AccountsAdmin, parseList } from './AccountsAdmin';

afterEach(cleanup);

const account = (username: string, overrides: Partial<Account> = {}): Account => ({
  id: `acc-${username}`,
  tenantId: 'demo',
  username,
  displayName: username,
  roles: ['reviewer'],
  groups: [],
  disabled: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  lastSignInAt: null,
  ...overrides,
});

function accountsService(initial: Account[]) {
  const accounts = [...initial];
  const service = fakeService({
    'GET /v1/accounts': () => ({ body: { items: accounts } }),
    'POST /v1/accounts': (call) => {
      const body = call.body as Account & { password: string };
      if (accounts.some((held) => held.username === body.username)) {
        return { status: 409, body: { status: 409, title: 'Conflict', code: 'ACCOUNT.USERNAME_TAKEN' } };
      }
      const created = account(body.username, { roles: body.roles, groups: body.groups ?? [] });
      accounts.push(created);
      return { status: 201, body: created };
    },
    'PATCH /v1/accounts/acc-bob': (call) => {
      const index = accounts.findIndex((held) => held.id === 'acc-bob');
      accounts[index] = { ...(accounts[index] as Account), ...(call.body as Partial<Account>) };
      return { body: accounts[index] };
    },
    'DELETE /v1/accounts/acc-bob': () => {
      accounts.splice(
        accounts.findIndex((held) => held.id === 'acc-bob'),
        1,
      );
      return { status: 204 };
    },
  });
  return { ...service, accounts };
}

describe('accounts (admin)', () => {
  it('creates an account with roles, groups and a password, and says when a username is taken', async () => {
    const { api, calls } = accountsService([account('admin', { roles: ['admin'] })]);
    render(<AccountsAdmin api={api} currentAccountId="acc-admin" />);
    const user = userEvent.setup();
    const form = await screen.findByRole('form', { name: 'New account' });
    await user.type(within(form).getByLabelText('Username'), 'Carol');
    await user.type(within(form).getByLabelText('Display name'), 'Carol King');
    await user.type(within(form).getByLabelText('Password'), 'a-long-password');
    await user.click(within(form).getByRole('checkbox', { name: 'Lead' }));
    await user.type(within(form).getByLabelText('ACL groups (comma-separated)'), 'legal, hr,legal');
    await user.click(within(form).getByRole('button', { name: 'Create account' }));

    const table = screen.getByRole('table', { name: 'Accounts' });
    expect(await within(table).findByRole('rowheader', { name: 'carol' })).toBeTruthy();
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({
      username: 'carol',
      displayName: 'Carol King',
      password: 'a-long-password',
      roles: ['reviewer', 'lead'],
      groups: ['legal', 'hr'],
    });

    await user.type(within(form).getByLabelText('Username'), 'carol');
    await user.type(within(form).getByLabelText('Password'), 'another-password');
    await user.click(within(form).getByRole('button', { name: 'Create account' }));
    expect((await within(form).findByRole('alert')).textContent).toMatch(/username is taken/);
  });

  it('refuses a short password before asking the service', async () => {
    const { api, calls } = accountsService([]);
    render(<AccountsAdmin api={api} />);
    const user = userEvent.setup();
    const form = await screen.findByRole('form', { name: 'New account' });
    form.setAttribute('novalidate', '');
    await user.type(within(form).getByLabelText('Username'), 'dave');
    await user.type(within(form).getByLabelText('Password'), 'short');
    await user.click(within(form).getByRole('button', { name: 'Create account' }));
    expect((await within(form).findByRole('alert')).textContent).toMatch(/8 to 256 characters/);
    expect(calls.some((call) => call.method === 'POST')).toBe(false);
  });

  it('edits, disables and deletes an account, never the admin signed in', async () => {
    const { api, calls } = accountsService([account('admin', { roles: ['admin'] }), account('bob')]);
    render(<AccountsAdmin api={api} currentAccountId="acc-admin" />);
    const user = userEvent.setup();
    await screen.findByRole('rowheader', { name: 'bob' });
    expect(screen.queryByRole('button', { name: 'Delete admin' })).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Edit bob' }));
    const edit = screen.getByRole('form', { name: 'Edit bob' });
    await user.click(within(edit).getByRole('checkbox', { name: 'Admin' }));
    await user.click(within(edit).getByRole('button', { name: 'Save changes' }));
    await screen.findByText('bob saved.');
    expect(calls.find((call) => call.method === 'PATCH')?.body).toEqual({
      displayName: 'bob',
      roles: ['reviewer', 'admin'],
      groups: [],
    });

    await user.click(screen.getByRole('button', { name: 'Disable bob' }));
    expect(await screen.findByRole('button', { name: 'Enable bob' })).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Delete bob' }));
    await user.click(screen.getByRole('button', { name: 'Confirm delete' }));
    await screen.findByText('bob deleted.');
    expect(screen.queryByRole('rowheader', { name: 'bob' })).toBeNull();
  });

  it('reads a comma-separated list once per value', () => {
    expect(parseList(' a, b,,a , c ')).toEqual(['a', 'b', 'c']);
  });
});
