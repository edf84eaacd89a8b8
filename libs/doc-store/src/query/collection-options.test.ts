import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../document-store.js';
import { describeDuplicateKey, indexName, normalizeCollectionOptions } from './collection-options.js';

describe('collection options', () => {
  it('validates indexes, drops the implicit id index, keeps the TTL field', () => {
    expect(
      normalizeCollectionOptions('jobs', {
        indexes: [
          { fields: ['id'], unique: true },
          { fields: ['tenantId', 'key'], unique: true },
          { fields: ['status'] },
        ],
        ttlField: 'expiresAt',
      }),
    ).toEqual({
      indexes: [
        { fields: ['tenantId', 'key'], unique: true },
        { fields: ['status'], unique: false },
      ],
      ttlField: 'expiresAt',
    });
    expect(() => normalizeCollectionOptions('jobs', { indexes: [{ fields: [] }] })).toThrow(InvalidQueryError);
    expect(() => normalizeCollectionOptions('jobs', { indexes: [{ fields: ['a', 'a'] }] })).toThrow(/repeat/);
    expect(() => normalizeCollectionOptions('jobs', { ttlField: 'id' })).toThrow(InvalidQueryError);
  });

  it('names indexes and duplicate keys the same way everywhere', () => {
    const index = { fields: ['tenantId', 'key'], unique: true };
    expect(indexName(index)).toBe('tenantId__key__unique');
    expect(describeDuplicateKey(index, 'doc-1', { tenantId: 't', key: 'k' })).toBe('{"tenantId":"t","key":"k"}');
    expect(describeDuplicateKey(undefined, 'doc-1', {})).toBe('doc-1');
  });
});
