/**
 * Managing reviewer accounts: create, list, change, delete, each within one tenant and each
 * recorded in the audit log. Disabling or deleting an account ends its sessions at once; a new
 * password ends its other sessions. No change may leave a tenant that has an admin without one.
 */
import { randomUUID } from 'node:crypto';
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import { conflict } from '@keel/platform';
import { type AuditLog, recordAudit } from '../audit/audit-log.js';
import { REVIEW_ROLES, type ReviewRole } from '../reviews/reviewer.js';
import { displayNameKeyOf, type ReviewAccount } from './account.js';
import { accountNotFound, displayNameTaken, lastAdmin, usernameTaken } from './account-errors.js';
import { hashPassword } from './password-hashing.js';
import { endSessionsOf, type ReviewSession, type SessionStore } from './sessions.js';

export type AccountStore = Collection<ReviewAccount>;

export interface AccountDeps {
  accounts: AccountStore;
  sessions: SessionStore;
  audit: AuditLog;
  /** Epoch milliseconds. */
  now: () => number;
}

/** Who changes accounts: an admin's display name, or the admin key. */
export interface AccountActor {
  tenantId: string;
  name: string;
}

export interface NewAccount {
  username: string;
  displayName?: string;
  password: string;
  roles: readonly ReviewRole[];
  groups?: readonly string[];
}

export interface AccountChanges {
  displayName?: string;
  roles?: readonly ReviewRole[];
  groups?: readonly string[];
  disabled?: boolean;
  password?: string;
}

/** Roles in their canonical order, each once. */
const normalRoles = (roles: readonly ReviewRole[]) => REVIEW_ROLES.filter((role) => roles.includes(role));
const normalGroups = (groups: readonly string[]) => [...new Set(groups)];

// Two admins changing one account at once: the loser re-reads and applies its change on top.
const UPDATE_ATTEMPTS = 3;

const isEnabledAdmin = (account: ReviewAccount) => !account.disabled && account.roles.includes('admin');

export async function findAccountByUsername(accounts: AccountStore, username: string): Promise<ReviewAccount | null> {
  const page = await accounts.find({ where: { username }, limit: 1 });
  return page.items[0] ?? null;
}

/** The tenant's account, or 404 exactly like a missing id. */
export async function loadAccount(accounts: AccountStore, tenantId: string, id: string): Promise<ReviewAccount> {
  const account = await accounts.get(id);
  if (!account || account.tenantId !== tenantId) throw accountNotFound(id);
  return account;
}

/** A unique index refused a write: tell which of the two names is taken. */
async function duplicateName(accounts: AccountStore, username: string, displayName: string, ownId?: string) {
  const holder = await findAccountByUsername(accounts, username);
  return holder && holder.id !== ownId ? usernameTaken(username) : displayNameTaken(displayName);
}

export async function createAccount(deps: AccountDeps, actor: AccountActor, input: NewAccount): Promise<ReviewAccount> {
  const now = deps.now();
  const displayName = input.displayName?.trim() || input.username;
  const account: ReviewAccount = {
    id: randomUUID(),
    tenantId: actor.tenantId,
    username: input.username,
    displayName,
    displayNameKey: displayNameKeyOf(displayName),
    roles: normalRoles(input.roles),
    groups: normalGroups(input.groups ?? []),
    disabled: false,
    passwordHash: await hashPassword(input.password),
    createdAt: now,
    updatedAt: now,
    lastSignInAt: null,
  };
  try {
    await deps.accounts.insert(account);
  } catch (error) {
    if (error instanceof DuplicateKeyError) throw await duplicateName(deps.accounts, input.username, displayName);
    throw error;
  }
  await recordAudit(
    deps.audit,
    {
      tenantId: actor.tenantId,
      actor: actor.name,
      action: 'account.created',
      detail: { accountId: account.id, username: account.username, roles: account.roles, groups: account.groups },
    },
    now,
  );
  return account;
}

/** Every account of a tenant, oldest first. */
export async function listAccounts(accounts: AccountStore, tenantId: string): Promise<ReviewAccount[]> {
  const all: ReviewAccount[] = [];
  let cursor: string | undefined;
  do {
    const page = await accounts.find({
      where: { tenantId },
      orderBy: { field: 'createdAt', direction: 'asc' },
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** Refuses a change that takes the last enabled admin of the tenant away. */
async function keepAnAdmin(accounts: AccountStore, before: ReviewAccount, after: ReviewAccount | null) {
  if (!isEnabledAdmin(before) || (after && isEnabledAdmin(after))) return;
  const admins = await accounts.count({ tenantId: before.tenantId, roles: 'admin', disabled: false });
  if (admins <= 1) throw lastAdmin();
}

export async function updateAccount(
  deps: AccountDeps,
  actor: AccountActor,
  id: string,
  changes: AccountChanges,
  /** The caller's own session, kept when they change their own password. */
  callerSession?: ReviewSession,
  attempt = 1,
): Promise<ReviewAccount> {
  const current = await loadAccount(deps.accounts, actor.tenantId, id);
  const now = deps.now();
  const displayName = changes.displayName?.trim() || undefined;
  const next: ReviewAccount = {
    ...current,
    ...(displayName !== undefined ? { displayName, displayNameKey: displayNameKeyOf(displayName) } : {}),
    ...(changes.roles !== undefined ? { roles: normalRoles(changes.roles) } : {}),
    ...(changes.groups !== undefined ? { groups: normalGroups(changes.groups) } : {}),
    ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
    ...(changes.password !== undefined ? { passwordHash: await hashPassword(changes.password) } : {}),
    updatedAt: now,
  };
  await keepAnAdmin(deps.accounts, current, next);
  const { id: _id, ...fields } = next;
  let updated: ReviewAccount | null;
  try {
    // Conditional on the version read, so that two admins' concurrent changes never mix.
    updated = await deps.accounts.updateIf(id, { tenantId: actor.tenantId, updatedAt: current.updatedAt }, fields);
  } catch (error) {
    if (error instanceof DuplicateKeyError)
      throw await duplicateName(deps.accounts, current.username, next.displayName, id);
    throw error;
  }
  if (!updated) {
    if (attempt >= UPDATE_ATTEMPTS) throw conflict(`account ${id} is being changed by someone else; try again`);
    return updateAccount(deps, actor, id, changes, callerSession, attempt + 1);
  }
  if (updated.disabled) await endSessionsOf(deps.sessions, id);
  else if (changes.password !== undefined) {
    await endSessionsOf(deps.sessions, id, callerSession?.accountId === id ? callerSession : undefined);
  }
  await recordAudit(
    deps.audit,
    {
      tenantId: actor.tenantId,
      actor: actor.name,
      action: 'account.updated',
      detail: {
        accountId: id,
        username: updated.username,
        // What changed, never the password itself.
        changed: Object.keys(changes).filter((key) => changes[key as keyof AccountChanges] !== undefined),
        ...(changes.roles !== undefined ? { roles: updated.roles } : {}),
        ...(changes.groups !== undefined ? { groups: updated.groups } : {}),
        ...(changes.disabled !== undefined ? { disabled: updated.disabled } : {}),
        ...(displayName !== undefined ? { displayName: updated.displayName } : {}),
      },
    },
    now,
  );
  return updated;
}

export async function deleteAccount(deps: AccountDeps, actor: AccountActor, id: string): Promise<void> {
  const current = await loadAccount(deps.accounts, actor.tenantId, id);
  await keepAnAdmin(deps.accounts, current, null);
  if (!(await deps.accounts.delete(id))) throw accountNotFound(id);
  await endSessionsOf(deps.sessions, id);
  await recordAudit(
    deps.audit,
    {
      tenantId: actor.tenantId,
      actor: actor.name,
      action: 'account.deleted',
      detail: { accountId: id, username: current.username },
    },
    deps.now(),
  );
}

/**
 * Makes sure an account exists at start (the demo accounts, a bootstrap admin). `resetPassword`
 * sets the given password on an existing account too (the demo's password is the current run's).
 * Answers what happened; an account of the same username in another tenant is left alone.
 */
export async function ensureAccount(
  deps: AccountDeps,
  spec: { tenantId: string; username: string; roles: readonly ReviewRole[]; password: string; resetPassword: boolean },
): Promise<'created' | 'reset' | 'kept' | 'taken'> {
  const existing = await findAccountByUsername(deps.accounts, spec.username);
  if (existing) {
    if (existing.tenantId !== spec.tenantId) return 'taken';
    if (!spec.resetPassword) return 'kept';
    await deps.accounts.updateIf(
      existing.id,
      { tenantId: spec.tenantId },
      { passwordHash: await hashPassword(spec.password), updatedAt: deps.now() },
    );
    return 'reset';
  }
  try {
    await createAccount(
      deps,
      { tenantId: spec.tenantId, name: 'system' },
      { username: spec.username, password: spec.password, roles: spec.roles },
    );
    return 'created';
  } catch (error) {
    // Another replica created it at the same moment.
    if (error instanceof Error && 'code' in error && error.code === 'ACCOUNT.USERNAME_TAKEN') return 'kept';
    throw error;
  }
}
