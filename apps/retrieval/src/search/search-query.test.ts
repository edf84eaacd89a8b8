import { KeelError } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { type SearchInput, toSearchQuery } from './search-query.js';

const input: SearchInput = {
  tenantId: 'acme',
  query: '  how much for a hotel?  ',
  topK: 0,
  aclGroups: ['hr', '', 'hr'],
  mode: 'hybrid',
  filters: { department: 'hr' },
};

function violationsOf(overrides: Partial<SearchInput>): string[] {
  try {
    toSearchQuery({ ...input, ...overrides });
  } catch (error) {
    if (error instanceof KeelError) return error.violations.map((violation) => violation.field);
    throw error;
  }
  return [];
}

describe('toSearchQuery', () => {
  it('applies the defaults and tidies the input', () => {
    expect(toSearchQuery(input)).toEqual({
      tenantId: 'acme',
      query: 'how much for a hotel?',
      topK: 5,
      aclGroups: ['hr'],
      mode: 'hybrid',
      filters: { department: 'hr' },
    });
  });

  it('takes the tenant from the metadata when the request has none', () => {
    expect(toSearchQuery({ ...input, tenantId: '', transportTenantId: 'globex' }).tenantId).toBe('globex');
  });

  it('answers INVALID_ARGUMENT naming each bad field', () => {
    expect(violationsOf({ tenantId: '' })).toEqual(['tenant_id']);
    expect(violationsOf({ transportTenantId: 'globex' })).toEqual(['tenant_id']);
    expect(violationsOf({ query: ' \n ' })).toEqual(['query']);
    expect(violationsOf({ query: 'q'.repeat(4097) })).toEqual(['query']);
    expect(violationsOf({ topK: 51 })).toEqual(['top_k']);
    expect(violationsOf({ topK: -1 })).toEqual(['top_k']);
    expect(violationsOf({ mode: undefined })).toEqual(['mode']);
    expect(violationsOf({ filters: { 'a.b': 'x' } })).toEqual(['filters.a.b']);
    expect(violationsOf({ tenantId: '', query: '' })).toEqual(['tenant_id', 'query']);
  });

  it('bounds every field: invisible queries, group and filter sizes, tenant ids', () => {
    expect(violationsOf({ query: '\u200b\u2066\u00ad\u3164' })).toEqual(['query']);
    expect(violationsOf({ aclGroups: Array.from({ length: 257 }, (_, i) => `g${i}`) })).toEqual(['acl_groups']);
    expect(violationsOf({ aclGroups: Array.from({ length: 256 }, (_, i) => `g${i}`) })).toEqual([]);
    expect(violationsOf({ aclGroups: ['hr', 'g'.repeat(257)] })).toEqual(['acl_groups[1]']);
    expect(violationsOf({ filters: { department: 'x'.repeat(1025) } })).toEqual(['filters.department']);
    expect(violationsOf({ filters: { department: 'x'.repeat(1024) } })).toEqual([]);
    expect(violationsOf({ filters: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) })).toEqual(
      ['filters'],
    );
    expect(violationsOf({ filters: { ['k'.repeat(100_000)]: 'v' } })).toEqual([`filters.${'k'.repeat(64)}`]);
    expect(violationsOf({ tenantId: 't'.repeat(513) })).toEqual(['tenant_id']);
    expect(violationsOf({ tenantId: '', transportTenantId: 't'.repeat(513) })).toEqual(['tenant_id']);
  });

  it('is an INVALID_ARGUMENT error', () => {
    const error = (() => {
      try {
        return toSearchQuery({ ...input, query: '' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).grpcCode).toBe(3);
    expect((error as KeelError).httpStatus).toBe(400);
  });
});
