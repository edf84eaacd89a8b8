import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../document-store.js';
import { assertCollectionName, assertFieldPath } from './field-names.js';

describe('field and collection names', () => {
  it('accepts identifiers and dotted paths', () => {
    for (const path of ['status', 'lease.expiresAt', '_private', 'a1.b_2.c'])
      expect(() => assertFieldPath(path)).not.toThrow();
  });

  it('rejects anything that could leave a SQL literal or address an operator or index', () => {
    for (const path of [
      '',
      'a..b',
      '.a',
      'a.',
      "a'b",
      'a"b',
      '$where',
      'a.$b',
      'tags.0',
      '1abc',
      'a b',
      '_id',
      '_id.x',
    ]) {
      expect(() => assertFieldPath(path), path).toThrow(InvalidQueryError);
    }
  });

  it('accepts collection names made by uniqueName, rejects the rest', () => {
    expect(() => assertCollectionName('contract-1a2b3c4d')).not.toThrow();
    for (const name of ['', '-x', 'a.b', 'sqlite_master', 'a"b', 'x'.repeat(121)]) {
      expect(() => assertCollectionName(name), name).toThrow(InvalidQueryError);
    }
  });
});
