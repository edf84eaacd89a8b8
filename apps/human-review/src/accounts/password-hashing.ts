/**
 * Password hashing with argon2id (@node-rs/argon2, prebuilt binaries) at the library's defaults,
 * which are OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane). Hashes are PHC strings,
 * so the parameters travel with each hash and can be raised later without invalidating old ones.
 */
import { hash, verify } from '@node-rs/argon2';

/** argon2id (the library's default algorithm; its `Algorithm` is a const enum this build cannot import). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** False for a wrong password and for a hash that cannot be read (never throws for either). */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Does the work of checking a password against an account that does not exist (or is not
 * checked): an unknown username costs the same hash as a known one, so timing reveals nothing.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword('not-an-account-password');
  await verifyPassword(await dummy, password);
  return false;
}
