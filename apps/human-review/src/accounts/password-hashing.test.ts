/** Passwords are stored as argon2id PHC strings, salted, and checked without throwing. */
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password-hashing.js';

describe('password hashing', () => {
  it('stores argon2id with OWASP parameters and a fresh salt each time', async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(first).not.toContain('correct horse battery');
    expect(second).not.toBe(first);
  });

  it('accepts the password and nothing else', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(await verifyPassword(stored, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse batterY')).toBe(false);
    expect(await verifyPassword(stored, '')).toBe(false);
  });

  it('answers false for a hash it cannot read instead of throwing', async () => {
    expect(await verifyPassword('not a hash', 'anything')).toBe(false);
  });

  it('checks an unknown user against a dummy hash, at the cost of a real check', async () => {
    const stored = await hashPassword('some password');
    await verifyAgainstDummy('warm-up');
    const started = performance.now();
    await verifyPassword(stored, 'a wrong password');
    const real = performance.now() - started;
    const dummyStarted = performance.now();
    expect(await verifyAgainstDummy('a wrong password')).toBe(false);
    const dummy = performance.now() - dummyStarted;
    // The same work: within a factor of three either way on a busy machine.
    expect(dummy).toBeGreaterThan(real / 3);
    expect(dummy).toBeLessThan(real * 3);
  });
});
