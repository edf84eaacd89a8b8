/**
 * Console sessions. The browser holds an opaque 32-byte random token in an HttpOnly cookie; the
 * store keeps only its SHA-256, so a copy of the collection signs nobody in. Each session has its
 * own CSRF token, and expires after `sessionMs` without use (sliding: use extends it, at most once
 * a minute so that reading a queue does not write on every request). The collection's TTL deletes
 * what expired.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Collection, CollectionOptions } from '@keel/doc-store';

export const SESSIONS_COLLECTION = 'review_sessions';

export const sessionsCollectionOptions: CollectionOptions = {
  indexes: [{ fields: ['accountId'] }],
  ttlField: 'expiresAt',
};

// Type alias, not interface: the store's `Collection<T>` needs T's implicit index signature.
export type ReviewSession = {
  /** SHA-256 (hex) of the cookie's token. */
  id: string;
  accountId: string;
  tenantId: string;
  csrfToken: string;
  /** Epoch milliseconds. */
  createdAt: number;
  refreshedAt: number;
  expiresAt: number;
};

export type SessionStore = Collection<ReviewSession>;

const MAX_REFRESH_INTERVAL_MS = 60_000;
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

const sessionIdOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** Starts a session for an account; returns the token for the cookie (never stored) and the session. */
export async function startSession(
  sessions: SessionStore,
  account: { id: string; tenantId: string },
  now: number,
  sessionMs: number,
): Promise<{ token: string; session: ReviewSession }> {
  const token = randomBytes(32).toString('base64url');
  const session: ReviewSession = {
    id: sessionIdOf(token),
    accountId: account.id,
    tenantId: account.tenantId,
    csrfToken: randomBytes(32).toString('base64url'),
    createdAt: now,
    refreshedAt: now,
    expiresAt: now + sessionMs,
  };
  await sessions.insert(session);
  return { token, session };
}

/** The live session of a cookie's token, or null (malformed, unknown, expired: the TTL hides those). */
export async function findSession(sessions: SessionStore, token: string, now: number): Promise<ReviewSession | null> {
  if (!tokenPattern.test(token)) return null;
  const session = await sessions.get(sessionIdOf(token));
  // The store hides expired documents by the wall clock; this also honours a pinned test clock.
  return session && session.expiresAt > now ? session : null;
}

/** Slides the expiry forward; returns the session as it now is (unchanged when refreshed recently). */
export async function touchSession(
  sessions: SessionStore,
  session: ReviewSession,
  now: number,
  sessionMs: number,
): Promise<ReviewSession> {
  const interval = Math.min(MAX_REFRESH_INTERVAL_MS, sessionMs / 10);
  if (now - session.refreshedAt < interval) return session;
  const touched = await sessions.updateIf(
    session.id,
    { expiresAt: { $gt: now } },
    { refreshedAt: now, expiresAt: now + sessionMs },
  );
  return touched ?? session;
}

export async function endSession(sessions: SessionStore, session: ReviewSession): Promise<void> {
  await sessions.delete(session.id);
}

/** Ends every session of an account (disabled, deleted, password changed), except `keep` if given. */
export async function endSessionsOf(sessions: SessionStore, accountId: string, keep?: ReviewSession): Promise<number> {
  return sessions.deleteMany(keep ? { accountId, id: { $ne: keep.id } } : { accountId });
}

/** Compares a request's `x-csrf-token` with the session's in constant time. */
export function csrfTokenMatches(session: ReviewSession, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  const expected = Buffer.from(session.csrfToken, 'utf8');
  const given = Buffer.from(sent, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
