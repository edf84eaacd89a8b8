import { describe, expect, it } from 'vitest';
import { nameBasedUuid } from './name-based-id.js';

describe('nameBasedUuid', () => {
  it('matches the RFC 9562 version 5 test vector', () => {
    // RFC 9562 appendix A.4: "www.example.com" in the DNS namespace.
    expect(nameBasedUuid('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('is deterministic and separates names', () => {
    const namespace = '4f0c2a51-8d1e-4c67-9a0b-6a3c1f9e2d7b';
    expect(nameBasedUuid('a', namespace)).toBe(nameBasedUuid('a', namespace));
    expect(nameBasedUuid('a', namespace)).not.toBe(nameBasedUuid('b', namespace));
  });

  it('refuses a malformed namespace', () => {
    expect(() => nameBasedUuid('a', 'not-a-uuid')).toThrow(/namespace/);
  });
});
