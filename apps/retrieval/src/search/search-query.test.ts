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
      conditions: [],
      rerankCandidates: 0,
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

  it('takes metadata conditions, MMR and rerank settings, with their defaults', () => {
    const query = toSearchQuery({
      ...input,
      topK: 10,
      conditions: [
        { key: 'region', anyOf: ['eu', 'us', 'eu'] },
        { key: 'year', range: { gte: 2020 } },
        { key: 'archived', exists: false },
        { key: 'owner', equals: 'alice' },
      ],
      mmr: { candidates: 0 },
      rerank: false,
      rerankCandidates: 30,
    });
    expect(query).toMatchObject({
      conditions: [
        { key: 'region', anyOf: ['eu', 'us'] },
        { key: 'year', range: { gte: 2020 } },
        { key: 'archived', exists: false },
        { key: 'owner', equals: 'alice' },
      ],
      mmr: { lambda: 0.5, candidates: 20 },
      rerank: false,
      rerankCandidates: 30,
    });
    expect(toSearchQuery({ ...input, topK: 40, mmr: { lambda: 0, candidates: 0 } }).mmr).toEqual({
      lambda: 0,
      candidates: 40,
    });
    expect(toSearchQuery(input).rerank).toBeUndefined();
  });

  it('names the bad part of a condition, MMR or rerank setting', () => {
    const must = (...conditions: SearchInput['conditions'] & object) => violationsOf({ conditions });
    expect(must({ key: 'a.b', equals: 'x' })).toEqual(['metadata_filter.must[0].key']);
    expect(must({ key: 'k' })).toEqual(['metadata_filter.must[0]']);
    expect(must({ key: 'ok', equals: 'x' }, { key: 'k', equals: 'x', exists: true })).toEqual([
      'metadata_filter.must[1]',
    ]);
    expect(must({ key: 'k', anyOf: [] })).toEqual(['metadata_filter.must[0].any_of']);
    expect(must({ key: 'k', range: { gt: 1, gte: 2 } })).toEqual(['metadata_filter.must[0].range']);
    expect(must({ key: 'k', range: {} })).toEqual(['metadata_filter.must[0].range']);
    expect(must({ key: 'k', equals: 'v'.repeat(1025) })).toEqual(['metadata_filter.must[0].equals']);
    // Together with `filters`, at most 16.
    expect(must(...Array.from({ length: 16 }, (_, i) => ({ key: `k${i}`, exists: true })))).toEqual([
      'metadata_filter.must',
    ]);
    expect(
      violationsOf({ filters: {}, conditions: Array.from({ length: 16 }, (_, i) => ({ key: `k${i}`, exists: true })) }),
    ).toEqual([]);
    expect(violationsOf({ mmr: { lambda: 1.5, candidates: 0 } })).toEqual(['mmr.lambda']);
    expect(violationsOf({ mmr: { lambda: Number.NaN, candidates: 0 } })).toEqual(['mmr.lambda']);
    expect(violationsOf({ mmr: { candidates: 101 } })).toEqual(['mmr.candidates']);
    expect(violationsOf({ topK: 10, mmr: { candidates: 5 } })).toEqual(['mmr.candidates']);
    expect(violationsOf({ rerankCandidates: 101 })).toEqual(['rerank_candidates']);
    expect(violationsOf({ rerankCandidates: -1 })).toEqual(['rerank_candidates']);
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
