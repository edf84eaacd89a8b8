/**
 * Opens what sign-in needs (accounts, sessions, counted failures) and makes the accounts that
 * must exist at start: the demo tenant's `reviewer`, `lead` and `admin` under `npm start`, and a
 * production installation's first admin (`KEEL_REVIEW_BOOTSTRAP_ADMIN`).
 */
import { randomBytes } from 'node:crypto';
import type { Collection, DocumentStore } from '@keel/doc-store';
import { demoTenantId, type Logger } from '@keel/platform';
import type { AuditLog } from '../audit/audit-log.js';
import type { ReviewRole } from '../reviews/reviewer.js';
import { ACCOUNTS_COLLECTION, accountsCollectionOptions, type ReviewAccount } from './account.js';
import { type AccountDeps, ensureAccount } from './accounts.js';
import type { ConsoleConfig } from './console-env.js';
import { type ReviewSession, SESSIONS_COLLECTION, sessionsCollectionOptions } from './sessions.js';
import { SIGN_IN_FAILURES_COLLECTION, type SignInFailure, signInFailuresCollectionOptions } from './sign-in.js';

export const DEMO_ACCOUNTS: readonly { username: string; roles: ReviewRole[] }[] = [
  { username: 'reviewer', roles: ['reviewer'] },
  { username: 'lead', roles: ['lead'] },
  { username: 'admin', roles: ['admin'] },
];

export interface AccountCollections extends AccountDeps {
  failures: Collection<SignInFailure>;
}

export async function openAccounts(
  store: DocumentStore,
  audit: AuditLog,
  now: () => number,
): Promise<AccountCollections> {
  return {
    accounts: await store.collection<ReviewAccount>(ACCOUNTS_COLLECTION, accountsCollectionOptions),
    sessions: await store.collection<ReviewSession>(SESSIONS_COLLECTION, sessionsCollectionOptions),
    failures: await store.collection<SignInFailure>(SIGN_IN_FAILURES_COLLECTION, signInFailuresCollectionOptions),
    audit,
    now,
  };
}

/** Creates (or, for the demo, resets the password of) the accounts the configuration asks for. */
export async function ensureConfiguredAccounts(
  deps: AccountDeps,
  config: ConsoleConfig,
  logger: Logger,
): Promise<{ demoPassword?: string }> {
  let demoPassword: string | undefined;
  if (config.demo) {
    demoPassword = config.demo.password ?? randomBytes(12).toString('base64url');
    for (const demo of DEMO_ACCOUNTS) {
      const outcome = await ensureAccount(deps, {
        tenantId: demoTenantId,
        ...demo,
        password: demoPassword,
        resetPassword: true,
      });
      if (outcome === 'taken') {
        logger.warn(
          { username: demo.username },
          `the demo account ${demo.username} is not created: another tenant has an account of that username`,
        );
      }
    }
    if (!config.demo.password) {
      // Printed once, at warn so that it shows at npm start's default log level.
      // In the message: the logger redacts fields named `password`, and this one is meant to be read.
      logger.warn(
        { usernames: DEMO_ACCOUNTS.map((demo) => demo.username) },
        `reviewer console demo accounts (tenant demo: reviewer, lead, admin) have the generated password ${demoPassword} ` +
          '(set KEEL_DEMO_REVIEWER_PASSWORD to choose one)',
      );
    }
  }
  if (config.bootstrapAdmin) {
    const { tenantId, username, password } = config.bootstrapAdmin;
    const outcome = await ensureAccount(deps, { tenantId, username, password, roles: ['admin'], resetPassword: false });
    if (outcome === 'created') logger.info({ tenantId, username }, 'bootstrap admin account created');
    if (outcome === 'taken') {
      logger.warn({ tenantId, username }, 'bootstrap admin not created: the username belongs to another tenant');
    }
  }
  return demoPassword ? { demoPassword } : {};
}
