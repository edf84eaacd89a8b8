import { type FormEvent, useCallback, useEffect, useId, useState } from 'react';
import { type ApiClient, ApiError } from '../api/client';
import type { Account, AccountChanges, Role } from '../api/types';
import { ErrorAlert } from '../ui/ErrorAlert';

export const roles: readonly Role[] = ['reviewer', 'lead', 'admin'];
const roleLabels: Record<Role, string> = { reviewer: 'Reviewer', lead: 'Lead', admin: 'Admin' };

/** As human-review accepts them: 1-64 of a-z 0-9 . _ @ + - (stored lower-case). */
const usernamePattern = /^[a-z0-9._@+-]{1,64}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** "a, b,,c " → ["a", "b", "c"]: groups are typed as one comma-separated field. */
export function parseList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    ),
  ];
}

/** One line per problem: the service's field errors when it sent them, else its title and detail. */
export function problemText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'ACCOUNT.USERNAME_TAKEN') return 'That username is taken (usernames are unique across tenants).';
    const fields = error.problem.errors ?? [];
    if (fields.length > 0) return fields.map((field) => `${field.field}: ${field.message}`).join('; ');
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function RoleChoices({
  value,
  onChange,
  legend,
}: {
  value: Role[];
  onChange: (roles: Role[]) => void;
  legend: string;
}) {
  const id = useId();
  return (
    <fieldset className="roles">
      <legend>{legend}</legend>
      {roles.map((role) => (
        <label key={role} htmlFor={`${id}-${role}`}>
          <input
            id={`${id}-${role}`}
            type="checkbox"
            checked={value.includes(role)}
            onChange={(event) =>
              onChange(event.target.checked ? [...value, role] : value.filter((held) => held !== role))
            }
          />
          {roleLabels[role]}
        </label>
      ))}
    </fieldset>
  );
}

function NewAccountForm({ api, onCreated }: { api: ApiClient; onCreated: (account: Account) => void }) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [chosen, setChosen] = useState<Role[]>(['reviewer']);
  const [groups, setGroups] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { title: useId(), username: useId(), displayName: useId(), password: useId(), groups: useId() };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const name = username.trim().toLowerCase();
    if (!usernamePattern.test(name)) {
      setError('Username: 1-64 characters of a-z, 0-9 and . _ @ + -');
      return;
    }
    if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
      setError(`Password: ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
      return;
    }
    if (chosen.length === 0) {
      setError('Choose at least one role');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const account = await api.createAccount({
        username: name,
        ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
        password,
        roles: roles.filter((role) => chosen.includes(role)),
        groups: parseList(groups),
      });
      setUsername('');
      setDisplayName('');
      setPassword('');
      setGroups('');
      setChosen(['reviewer']);
      onCreated(account);
    } catch (reason) {
      setError(problemText(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form aria-labelledby={ids.title} className="card" onSubmit={submit}>
      <h3 id={ids.title}>New account</h3>
      <label htmlFor={ids.username}>Username</label>
      <input
        id={ids.username}
        autoComplete="off"
        maxLength={64}
        required
        value={username}
        onChange={(event) => setUsername(event.target.value)}
      />
      <label htmlFor={ids.displayName}>Display name</label>
      <input
        id={ids.displayName}
        maxLength={200}
        value={displayName}
        onChange={(event) => setDisplayName(event.target.value)}
      />
      <label htmlFor={ids.password}>Password</label>
      <input
        id={ids.password}
        type="password"
        autoComplete="new-password"
        minLength={PASSWORD_MIN}
        maxLength={PASSWORD_MAX}
        required
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      <RoleChoices legend="Roles" value={chosen} onChange={setChosen} />
      <label htmlFor={ids.groups}>ACL groups (comma-separated)</label>
      <input id={ids.groups} value={groups} onChange={(event) => setGroups(event.target.value)} />
      <ErrorAlert message={error} />
      <button type="submit" disabled={busy}>
        Create account
      </button>
    </form>
  );
}

function EditAccountForm({
  api,
  account,
  onSaved,
  onCancel,
}: {
  api: ApiClient;
  account: Account;
  onSaved: (account: Account) => void;
  onCancel: () => void;
}) {
  const [displayName, setDisplayName] = useState(account.displayName);
  const [chosen, setChosen] = useState<Role[]>(account.roles);
  const [groups, setGroups] = useState(account.groups.join(', '));
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { title: useId(), displayName: useId(), groups: useId(), password: useId() };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (chosen.length === 0) {
      setError('Choose at least one role');
      return;
    }
    if (password && (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)) {
      setError(`New password: ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
      return;
    }
    const changes: AccountChanges = {
      displayName: displayName.trim(),
      roles: roles.filter((role) => chosen.includes(role)),
      groups: parseList(groups),
      ...(password ? { password } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.updateAccount(account.id, changes));
    } catch (reason) {
      setError(problemText(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form aria-labelledby={ids.title} className="card" onSubmit={submit}>
      <h3 id={ids.title}>Edit {account.username}</h3>
      <label htmlFor={ids.displayName}>Display name</label>
      <input
        id={ids.displayName}
        maxLength={200}
        value={displayName}
        onChange={(event) => setDisplayName(event.target.value)}
      />
      <RoleChoices legend="Roles" value={chosen} onChange={setChosen} />
      <label htmlFor={ids.groups}>ACL groups (comma-separated)</label>
      <input id={ids.groups} value={groups} onChange={(event) => setGroups(event.target.value)} />
      <label htmlFor={ids.password}>New password (leave empty to keep)</label>
      <input
        id={ids.password}
        type="password"
        autoComplete="new-password"
        maxLength={PASSWORD_MAX}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      <ErrorAlert message={error} />
      <button type="submit" disabled={busy}>
        Save changes
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** Accounts of the admin's tenant: create, edit (roles, groups, password), disable and delete. */
export function AccountsAdmin({ api, currentAccountId }: { api: ApiClient; currentAccountId?: string }) {
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const title = useId();

  const reload = useCallback(async () => {
    try {
      const page = await api.listAccounts();
      setAccounts([...page.items].sort((a, b) => a.username.localeCompare(b.username)));
      setError(null);
    } catch (reason) {
      setError(problemText(reason));
    }
  }, [api]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const act = async (work: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await work();
      setNotice(done);
      await reload();
    } catch (reason) {
      setError(problemText(reason));
    }
  };

  const editedAccount = accounts?.find((account) => account.id === editing);

  return (
    <section aria-labelledby={title} className="accounts">
      <h2 id={title}>Accounts</h2>
      <ErrorAlert message={error} />
      {notice && <p className="notice">{notice}</p>}
      <table aria-label="Accounts" aria-busy={accounts === null}>
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Display name</th>
            <th scope="col">Roles</th>
            <th scope="col">Groups</th>
            <th scope="col">State</th>
            <th scope="col">Last sign-in</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(accounts ?? []).map((account) => (
            <tr key={account.id} className={account.disabled ? 'disabled' : undefined}>
              <th scope="row">{account.username}</th>
              <td>{account.displayName}</td>
              <td>{account.roles.join(', ')}</td>
              <td>{account.groups.join(', ') || '—'}</td>
              <td>{account.disabled ? 'disabled' : 'active'}</td>
              <td>{account.lastSignInAt ? new Date(account.lastSignInAt).toLocaleString() : 'never'}</td>
              <td className="actions">
                <button type="button" aria-label={`Edit ${account.username}`} onClick={() => setEditing(account.id)}>
                  Edit
                </button>
                {account.id !== currentAccountId && (
                  <>
                    <button
                      type="button"
                      aria-label={`${account.disabled ? 'Enable' : 'Disable'} ${account.username}`}
                      onClick={() =>
                        act(
                          () => api.updateAccount(account.id, { disabled: !account.disabled }),
                          `${account.username} ${account.disabled ? 'enabled' : 'disabled (signed out everywhere)'}.`,
                        )
                      }
                    >
                      {account.disabled ? 'Enable' : 'Disable'}
                    </button>
                    {deleting === account.id ? (
                      <fieldset className="inline-confirm" aria-label={`Confirm deleting ${account.username}`}>
                        <button
                          type="button"
                          className="danger"
                          onClick={() => {
                            setDeleting(null);
                            void act(() => api.deleteAccount(account.id), `${account.username} deleted.`);
                          }}
                        >
                          Confirm delete
                        </button>
                        <button type="button" onClick={() => setDeleting(null)}>
                          Keep
                        </button>
                      </fieldset>
                    ) : (
                      <button
                        type="button"
                        aria-label={`Delete ${account.username}`}
                        onClick={() => setDeleting(account.id)}
                      >
                        Delete
                      </button>
                    )}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editedAccount && (
        <EditAccountForm
          key={editedAccount.id}
          api={api}
          account={editedAccount}
          onCancel={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setNotice(`${saved.username} saved.`);
            void reload();
          }}
        />
      )}
      <NewAccountForm
        api={api}
        onCreated={(account) => {
          setNotice(`${account.username} created.`);
          void reload();
        }}
      />
    </section>
  );
}
