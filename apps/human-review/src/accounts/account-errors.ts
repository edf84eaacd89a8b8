/** The stable codes of sign-in, sessions and accounts, for the console to act on. */
import { conflict, forbidden, type KeelError, notFound, unauthenticated } from '@keel/platform';

export const AuthErrorCode = {
  invalidCredentials: 'AUTH.INVALID_CREDENTIALS',
  csrf: 'AUTH.CSRF',
  forbiddenRole: 'AUTH.FORBIDDEN_ROLE',
  sessionExpired: 'AUTH.SESSION_EXPIRED',
  noSession: 'AUTH.NO_SESSION',
} as const;

export const AccountErrorCode = {
  notFound: 'ACCOUNT.NOT_FOUND',
  usernameTaken: 'ACCOUNT.USERNAME_TAKEN',
  displayNameTaken: 'ACCOUNT.DISPLAY_NAME_TAKEN',
  lastAdmin: 'ACCOUNT.LAST_ADMIN',
} as const;

/** One answer for a wrong password, an unknown user, a disabled or a locked account: no oracle. */
export function invalidCredentials(): KeelError {
  return unauthenticated('the username or the password is not right', AuthErrorCode.invalidCredentials);
}

export function csrfRefused(detail: string): KeelError {
  return forbidden(detail, AuthErrorCode.csrf);
}

export function forbiddenRole(role: string): KeelError {
  return forbidden(`this needs the role ${role}`, AuthErrorCode.forbiddenRole);
}

export function sessionExpired(): KeelError {
  return unauthenticated('the session has ended; sign in again', AuthErrorCode.sessionExpired);
}

export function noSession(): KeelError {
  return unauthenticated('no console session: sign in with POST /v1/session', AuthErrorCode.noSession);
}

/** Another tenant's account is reported exactly like a missing one. */
export function accountNotFound(id: string): KeelError {
  return notFound(`account ${id}`, AccountErrorCode.notFound);
}

export function usernameTaken(username: string): KeelError {
  return conflict(`the username ${username} is taken`, AccountErrorCode.usernameTaken);
}

export function displayNameTaken(displayName: string): KeelError {
  return conflict(
    `another account of this tenant is named ${displayName}: display names sign leases and decisions, so they are unique`,
    AccountErrorCode.displayNameTaken,
  );
}

export function lastAdmin(): KeelError {
  return conflict(
    'this would leave the tenant without an enabled admin account; make another account admin first',
    AccountErrorCode.lastAdmin,
  );
}
