import { describe, expect, it } from 'vitest';
import { payloadPath, qdrantFilter } from './qdrant-filter.js';

describe('qdrantFilter', () => {
  it('has no filter for no conditions', () => {
    expect(qdrantFilter({ must: [] })).toBeUndefined();
  });

  it('maps equals to match value, non-integers to a closed range, anyOf to match any', () => {
    expect(
      qdrantFilter({
        must: [
          { key: 'tenantId', equals: 'acme' },
          { key: 'public', equals: true },
          { key: 'documentVersion', equals: 3 },
          { key: 'weight', equals: 0.5 },
          { key: 'aclGroups', anyOf: ['*', 'eng'] },
        ],
      }),
    ).toEqual({
      must: [
        { key: 'tenantId', match: { value: 'acme' } },
        { key: 'public', match: { value: true } },
        { key: 'documentVersion', match: { value: 3 } },
        { key: 'weight', range: { gte: 0.5, lte: 0.5 } },
        { key: 'aclGroups', match: { any: ['*', 'eng'] } },
      ],
    });
  });
  it('maps range to range and exists to is_empty (under must_not for true)', () => {
    expect(
      qdrantFilter({
        must: [
          { key: 'meta.year', range: { gte: 2000, lt: 2010 } },
          { key: 'meta.page', exists: true },
          { key: 'deprecated', exists: false },
        ],
      }),
    ).toEqual({
      must: [{ key: '"meta.year"', range: { gte: 2000, lt: 2010 } }, { is_empty: { key: 'deprecated' } }],
      must_not: [{ is_empty: { key: '"meta.page"' } }],
    });
    expect(qdrantFilter({ must: [{ key: 'x', exists: true }] })).toEqual({ must_not: [{ is_empty: { key: 'x' } }] });
  });
});

describe('payloadPath', () => {
  it('quotes keys that Qdrant would read as nested paths', () => {
    expect(payloadPath('tenantId')).toBe('tenantId');
    expect(payloadPath('doc_version-2')).toBe('doc_version-2');
    expect(payloadPath('meta.source')).toBe('"meta.source"');
    expect(payloadPath('meta.a b[0]')).toBe('"meta.a b[0]"');
  });
});
