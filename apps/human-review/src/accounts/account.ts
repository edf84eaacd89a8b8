/**
 * A reviewer account: a person who signs in to the console with a username and a password. An
 * account belongs to one tenant, holds roles (reviewer ⊂ lead ⊂ admin) and ACL groups (what
 * restricted items it may read). Usernames are unique across the installation because the
 * sign-in form asks for nothing else; display names are unique within a tenant because they sign
 * leases and decisions.
 */
import type { CollectionOptions } from '@keel/doc-store';
import type { ReviewRole } from '../reviews/reviewer.js';

export const ACCOUNTS_COLLECTION = 'review_accounts';

export const accountsCollectionOptions: CollectionOptions = {
  indexes: [
    { fields: ['username'], unique: true },
    { fields: ['tenantId', 'displayNameKey'], unique: true },
    { fields: ['tenantId', 'createdAt'] },
  ],
};

/** Lower-case letters, digits and `. _ @ + -`; sign-in lower-cases what is typed. */
export const usernamePattern = /^[a-z0-9._@+-]{1,64}$/;

export const PASSWORD_LIMITS = { min: 8, max: 256 } as const;

export const ACCOUNT_LIMITS = {
  displayNameChars: 128,
  groups: 100,
  groupChars: 256,
} as const;

// Type alias, not interface: the store's `Collection<T>` needs T's implicit index signature.
export type ReviewAccount = {
  id: string;
  tenantId: string;
  username: string;
  displayName: string;
  /** The display name folded to lower case: the unique key within the tenant. */
  displayNameKey: string;
  roles: ReviewRole[];
  groups: string[];
  disabled: boolean;
  /** argon2id, PHC string format. */
  passwordHash: string;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
  lastSignInAt: number | null;
};

export const displayNameKeyOf = (displayName: string) => displayName.trim().toLowerCase();

/** The JSON the API returns for an account: never the hash. */
export function accountView(account: ReviewAccount) {
  return {
    id: account.id,
    tenantId: account.tenantId,
    username: account.username,
    displayName: account.displayName,
    roles: [...account.roles],
    groups: [...account.groups],
    disabled: account.disabled,
    createdAt: new Date(account.createdAt).toISOString(),
    lastSignInAt: account.lastSignInAt === null ? null : new Date(account.lastSignInAt).toISOString(),
  };
}

export type AccountView = ReturnType<typeof accountView>;
