/**
 * The admin API's guard: `Authorization: Bearer <KEEL_ADMIN_API_KEY>`, compared in constant time.
 * Without the variable the admin API does not exist (404 `ADMIN.DISABLED`, saying how to enable
 * it); a tenant's API key is not the admin key (401).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GrpcCode, KeelError, unauthenticated } from '@keel/platform';
import type { RequestHandler } from 'express';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function requireAdminKey(adminApiKey: string | undefined): RequestHandler {
  const expected = adminApiKey ? digest(adminApiKey) : undefined;
  return (req, _res, next) => {
    if (!expected) {
      next(
        new KeelError('the admin API is disabled', {
          code: 'ADMIN.DISABLED',
          httpStatus: 404,
          grpcCode: GrpcCode.NOT_FOUND,
          retryable: false,
          detail: 'the admin API is disabled: set KEEL_ADMIN_API_KEY (at least 32 characters) to enable it',
        }),
      );
      return;
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match) {
      next(
        unauthenticated('send the admin key as "Authorization: Bearer <KEEL_ADMIN_API_KEY>"', 'AUTH.MISSING_ADMIN_KEY'),
      );
      return;
    }
    if (!timingSafeEqual(digest(match[1] as string), expected)) {
      next(unauthenticated('the admin key is not valid', 'AUTH.INVALID_ADMIN_KEY'));
      return;
    }
    next();
  };
}
