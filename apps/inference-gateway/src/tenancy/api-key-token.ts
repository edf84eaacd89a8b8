/**
 * Issued API keys: `keel_sk_<id>_<secret>`, where the id (16 hex characters) finds the stored
 * record and the secret (32 random bytes, base64url) proves possession. Only a SHA-256 digest of
 * the secret is stored.
 *
 * Why a plain SHA-256 and not bcrypt/scrypt/argon2: those slow hashes exist to protect
 * low-entropy passwords from offline guessing. A 256-bit random secret cannot be guessed at any
 * hash speed (2^256 tries), so a slow hash would add tens of milliseconds to every request and
 * protect nothing more; a fast digest is the standard choice for high-entropy tokens (GitHub,
 * Stripe). Digests are compared with timingSafeEqual, so timing does not reveal how much matched.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const apiKeyPrefix = 'keel_sk_';
const tokenPattern = /^keel_sk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface IssuedSecret {
  /** The whole key, shown to its owner once. */
  token: string;
  /** Hex SHA-256 of the secret part: what is stored. */
  secretHash: string;
}

export function newKeyId(): string {
  return randomBytes(8).toString('hex');
}

export function issueSecret(keyId: string): IssuedSecret {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${apiKeyPrefix}${keyId}_${secret}`, secretHash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The id and secret of a key in the issued format; undefined for anything else (a static key). */
export function parseIssuedKey(token: string): { keyId: string; secret: string } | undefined {
  const match = tokenPattern.exec(token);
  return match ? { keyId: match[1] as string, secret: match[2] as string } : undefined;
}

/** Constant-time comparison of a presented secret with a stored digest. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
