/**
 * The console's session cookie: `keel_review_session`, HttpOnly (scripts cannot read it),
 * SameSite=Strict (no other site's page sends it), Path=/, Secure when the service is reached over
 * HTTPS (`REVIEW_COOKIE_SECURE=true`), and expiring with the session.
 */
import { parseCookie } from 'cookie';
import type express from 'express';

export const SESSION_COOKIE = 'keel_review_session';

export interface CookieSettings {
  secure: boolean;
}

/** The session token a request carries, if any. */
export function sessionTokenOf(req: express.Request): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  const token = parseCookie(header)[SESSION_COOKIE];
  return token ? token : undefined;
}

export function setSessionCookie(
  res: express.Response,
  token: string,
  expiresAt: number,
  now: number,
  settings: CookieSettings,
): void {
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: settings.secure,
    maxAge: Math.max(0, expiresAt - now),
  });
}

export function clearSessionCookie(res: express.Response, settings: CookieSettings): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: settings.secure });
}
