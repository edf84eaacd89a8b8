/**
 * Signing in, built so that a failure tells an attacker nothing: a wrong password, an unknown
 * username, a disabled account and a locked one all take at least the same time (an unknown
 * username is checked against a dummy hash, so the hashing cost is paid either way) and end in
 * the same 401. Failures are counted per username (known or not) for 15 minutes; the 10th locks
 * that username for 15 minutes, during which no password is checked at all.
 */
import { randomUUID } from 'node:crypto';
import type { Collection, CollectionOptions } from '@keel/doc-store';
import type { Logger } from '@keel/platform';
import { recordAudit } from '../audit/audit-log.js';
import type { ReviewAccount } from './account.js';
import { invalidCredentials } from './account-errors.js';
import { type AccountDeps, findAccountByUsername } from './accounts.js';
import { verifyAgainstDummy, verifyPassword } from './password-hashing.js';
import { type ReviewSession, startSession } from './sessions.js';

export const SIGN_IN_FAILURES_COLLECTION = 'review_sign_in_failures';

export const signInFailuresCollectionOptions: CollectionOptions = {
  indexes: [{ fields: ['username', 'kind'] }],
  ttlField: 'expiresAt',
};

// Type alias, not interface: the store's `Collection<T>` needs T's implicit index signature.
export type SignInFailure = {
  id: string;
  username: string;
  /** A counted failure, or the lock the last counted one set. */
  kind: 'failure' | 'lock';
  at: number;
  expiresAt: number;
};

export const SIGN_IN_POLICY = {
  /** Every failed sign-in lasts at least this long, whatever failed. */
  minDurationMs: 400,
  maxFailures: 10,
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
} as const;

export interface SignInDeps extends AccountDeps {
  failures: Collection<SignInFailure>;
  logger: Logger;
  sessionMs: number;
  /** Tests shorten it; production uses SIGN_IN_POLICY.minDurationMs. */
  minDurationMs?: number;
}

export interface SignedIn {
  account: ReviewAccount;
  session: ReviewSession;
  /** For the cookie only; never stored. */
  token: string;
}

const lockIdOf = (username: string) => `lock:${username}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function isLocked(deps: SignInDeps, username: string, now: number): Promise<boolean> {
  const lock = await deps.failures.get(lockIdOf(username));
  return lock !== null && lock.expiresAt > now;
}

async function countFailure(deps: SignInDeps, username: string, now: number): Promise<void> {
  await deps.failures.insert({
    id: randomUUID(),
    username,
    kind: 'failure',
    at: now,
    expiresAt: now + SIGN_IN_POLICY.windowMs,
  });
  const recent = await deps.failures.count({ username, kind: 'failure', at: { $gt: now - SIGN_IN_POLICY.windowMs } });
  if (recent < SIGN_IN_POLICY.maxFailures) return;
  // Upsert: concurrent failures past the limit all (re)set the same lock.
  await deps.failures.upsert({
    id: lockIdOf(username),
    username,
    kind: 'lock',
    at: now,
    expiresAt: now + SIGN_IN_POLICY.lockMs,
  });
  await deps.failures.deleteMany({ username, kind: 'failure' });
  deps.logger.warn({ event: 'sign-in.locked', username }, 'too many failed sign-ins: the username is locked');
}

type Outcome = { ok: true; account: ReviewAccount } | { ok: false; account: ReviewAccount | null; reason: string };

async function check(deps: SignInDeps, username: string, password: string, now: number): Promise<Outcome> {
  const account = await findAccountByUsername(deps.accounts, username);
  if (await isLocked(deps, username, now)) {
    // Not checked, not counted (the lock does not grow); the same work, so the same time.
    await verifyAgainstDummy(password);
    return { ok: false, account, reason: 'locked' };
  }
  if (!account) {
    await verifyAgainstDummy(password);
    await countFailure(deps, username, now);
    return { ok: false, account: null, reason: 'unknown-user' };
  }
  // A disabled account's password is checked too: the same work, so the same time.
  const matches = await verifyPassword(account.passwordHash, password);
  if (matches && !account.disabled) return { ok: true, account };
  await countFailure(deps, username, now);
  return { ok: false, account, reason: matches ? 'disabled' : 'wrong-password' };
}

export async function signIn(deps: SignInDeps, input: { username: string; password: string }): Promise<SignedIn> {
  const started = performance.now();
  const username = input.username.trim().toLowerCase();
  const now = deps.now();
  let outcome: Outcome;
  try {
    outcome = await check(deps, username, input.password, now);
  } catch (error) {
    await padTo(started, deps.minDurationMs ?? SIGN_IN_POLICY.minDurationMs);
    throw error;
  }
  if (!outcome.ok) {
    // Recorded in the account's tenant when there is one; an unknown username has no tenant to audit in.
    if (outcome.account) {
      await recordAudit(
        deps.audit,
        {
          tenantId: outcome.account.tenantId,
          actor: outcome.account.displayName,
          action: 'session.sign-in-failed',
          detail: { accountId: outcome.account.id, username, reason: outcome.reason },
        },
        now,
      );
    } else {
      deps.logger.info({ event: 'sign-in.failed', username, reason: outcome.reason }, 'sign-in failed');
    }
    await padTo(started, deps.minDurationMs ?? SIGN_IN_POLICY.minDurationMs);
    throw invalidCredentials();
  }
  const account = await deps.accounts.updateIf(outcome.account.id, { disabled: false }, { lastSignInAt: now });
  if (!account) {
    // Disabled or deleted while its password was being checked.
    await padTo(started, deps.minDurationMs ?? SIGN_IN_POLICY.minDurationMs);
    throw invalidCredentials();
  }
  const { token, session } = await startSession(deps.sessions, account, now, deps.sessionMs);
  await recordAudit(
    deps.audit,
    {
      tenantId: account.tenantId,
      actor: account.displayName,
      action: 'session.signed-in',
      detail: { accountId: account.id, username },
    },
    now,
  );
  return { account, session, token };
}

/** Waits until `minimumMs` have passed since `started`. */
async function padTo(started: number, minimumMs: number): Promise<void> {
  const left = minimumMs - (performance.now() - started);
  if (left > 0) await sleep(left);
}
