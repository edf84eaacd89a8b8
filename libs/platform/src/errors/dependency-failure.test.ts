import { describe, expect, it } from 'vitest';
import { callDependency } from './dependency-failure.js';
import { isKeelError, validationError } from './keel-error.js';

const adapterError = (retryable: boolean) =>
  Object.assign(new Error('connection refused'), { code: 'STORE.UNAVAILABLE', retryable });

describe('callDependency', () => {
  it('turns a retryable adapter error into a retryable 503 naming the dependency', async () => {
    const failure = await callDependency('doc store', () => Promise.reject(adapterError(true))).catch((e) => e);
    expect(isKeelError(failure)).toBe(true);
    expect(failure).toMatchObject({ httpStatus: 503, retryable: true, dependency: 'doc store' });
    expect(failure.message).toBe('doc store unavailable: connection refused');
  });

  it('leaves permanent adapter errors and KeelErrors as they are', async () => {
    const permanent = adapterError(false);
    await expect(callDependency('doc store', () => Promise.reject(permanent))).rejects.toBe(permanent);
    const invalid = validationError([{ field: 'q', message: 'Required' }]);
    await expect(callDependency('retrieval', () => Promise.reject(invalid))).rejects.toBe(invalid);
  });

  it('returns the result of a call that works', async () => {
    await expect(callDependency('embedder', () => 42)).resolves.toBe(42);
  });
});
