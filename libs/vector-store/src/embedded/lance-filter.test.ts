import { describe, expect, it } from 'vitest';
import { filterTerms, whereClause } from './lance-filter.js';

describe('filterTerms', () => {
  it('holds key=JSON value for every scalar and array element, keeping types apart', () => {
    expect(
      filterTerms({
        tenantId: 'acme',
        version: 2,
        label: '2',
        public: true,
        aclGroups: ['eng', 'ops', 'eng'],
        'meta.x': 0.5,
      }),
    ).toEqual([
      'tenantId="acme"',
      'version=2',
      'label="2"',
      'public=true',
      'aclGroups="eng"',
      'aclGroups="ops"',
      'meta.x=0.5',
    ]);
    expect(filterTerms({ aclGroups: [] })).toEqual([]);
  });
});

describe('whereClause', () => {
  it('is undefined without conditions', () => {
    expect(whereClause({ must: [] })).toBeUndefined();
  });

  it('turns equals into array_has and anyOf into array_has_any, escaping quotes', () => {
    expect(
      whereClause({
        must: [
          { key: 'tenantId', equals: "o'brien" },
          { key: 'public', equals: false },
          { key: 'aclGroups', anyOf: ['*', 'r&d'] },
        ],
      }),
    ).toBe(
      `array_has(filter_terms, 'tenantId="o''brien"') AND array_has(filter_terms, 'public=false') AND ` +
        `array_has_any(filter_terms, make_array('aclGroups="*"', 'aclGroups="r&d"'))`,
    );
  });
});
