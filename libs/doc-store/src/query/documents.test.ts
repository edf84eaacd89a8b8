import { describe, expect, it } from 'vitest';
import { assertStorableDocument, changesTouchTtl, expiryOf, prepareChanges } from './documents.js';

describe('documents', () => {
  it('accepts JSON documents with an id and rejects the rest', () => {
    expect(() =>
      assertStorableDocument({ id: 'a', n: [1, { b: null }], undefinedIsDropped: undefined }, 'c'),
    ).not.toThrow();
    expect(() => assertStorableDocument({ id: 'a', when: new Date() }, 'c')).toThrow(/Date/);
    expect(() => assertStorableDocument({ id: 'a', _keelExpiresAt: 1 }, 'c')).toThrow(/reserved/);
    expect(() => assertStorableDocument({ id: 7 }, 'c')).toThrow(/string id/);
    expect(() => assertStorableDocument({ id: 'a', list: [undefined] }, 'c')).toThrow(/undefined/);
    expect(() => assertStorableDocument(new Map(), 'c')).toThrow(/plain object/);
  });

  it('prepares shallow changes', () => {
    expect(prepareChanges({ a: 1, b: undefined, c: { d: 2 } }, 'c')).toEqual({ a: 1, c: { d: 2 } });
    expect(() => prepareChanges({ id: 'x' }, 'c')).toThrow(/cannot change the id/);
    expect(() => prepareChanges({ 'a.b': 1 }, 'c')).toThrow(/top-level/);
  });

  it('reads the expiry from a (dotted) TTL field', () => {
    expect(expiryOf({ lease: { until: 5 } }, 'lease.until', 'c')).toBe(5);
    expect(expiryOf({ lease: null }, 'lease.until', 'c')).toBeNull();
    expect(expiryOf({ until: 5 }, undefined, 'c')).toBeNull();
    expect(() => expiryOf({ until: '5' }, 'until', 'c')).toThrow(/epoch milliseconds/);
    expect(changesTouchTtl({ lease: {} }, 'lease.until')).toBe(true);
    expect(changesTouchTtl({ other: 1 }, 'lease.until')).toBe(false);
  });
});
