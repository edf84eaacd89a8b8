import { describe, expect, it } from 'vitest';
import { conditionViolations, type MetadataCondition, satisfies, toPayloadCondition } from './metadata-conditions.js';

const payload = {
  tenantId: 'acme',
  'meta.department': 'finance',
  'meta.year': '2024',
  'meta.score': 7.5,
  'meta.tags': ['travel', 'policy'],
  'meta.none': [] as string[],
};

describe('metadata conditions', () => {
  it('become index conditions on the meta.<key> payload key', () => {
    expect(toPayloadCondition({ key: 'department', equals: 'finance' })).toEqual({
      key: 'meta.department',
      equals: 'finance',
    });
    expect(toPayloadCondition({ key: 'department', anyOf: ['hr', 'finance'] })).toEqual({
      key: 'meta.department',
      anyOf: ['hr', 'finance'],
    });
    expect(toPayloadCondition({ key: 'year', range: { gte: 2020, lt: 2025 } })).toEqual({
      key: 'metaNum.year',
      range: { gte: 2020, lt: 2025 },
    });
    expect(toPayloadCondition({ key: 'reviewed', exists: false })).toEqual({ key: 'meta.reviewed', exists: false });
  });

  it('are re-checked on each hit as the index defines them', () => {
    const check = (condition: MetadataCondition) => satisfies(payload, condition);
    expect(check({ key: 'department', equals: 'finance' })).toBe(true);
    expect(check({ key: 'department', equals: 'Finance' })).toBe(false);
    expect(check({ key: 'tags', equals: 'policy' })).toBe(true);
    expect(check({ key: 'department', anyOf: ['hr', 'finance'] })).toBe(true);
    expect(check({ key: 'tags', anyOf: ['hr', 'travel'] })).toBe(true);
    expect(check({ key: 'department', anyOf: ['hr'] })).toBe(false);
    expect(check({ key: 'score', range: { gt: 7, lte: 7.5 } })).toBe(true);
    expect(check({ key: 'score', range: { gt: 7.5 } })).toBe(false);
    // Ingestion stores metadata as strings: a decimal string is compared as its number.
    expect(check({ key: 'year', range: { gte: 2020, lt: 2025 } })).toBe(true);
    expect(check({ key: 'year', range: { lt: 2024 } })).toBe(false);
    expect(check({ key: 'department', range: { gte: 0 } })).toBe(false);
    expect(check({ key: 'missing', range: { gte: 0 } })).toBe(false);
    expect(check({ key: 'department', exists: true })).toBe(true);
    expect(check({ key: 'missing', exists: true })).toBe(false);
    expect(check({ key: 'missing', exists: false })).toBe(true);
    // An empty list holds no value.
    expect(check({ key: 'none', exists: false })).toBe(true);
    expect(check({ key: 'missing', equals: 'x' })).toBe(false);
  });

  it('name what is wrong with a condition', () => {
    expect(conditionViolations({ key: 'k', equals: 'x'.repeat(1025) })).toEqual([
      { field: 'equals', message: 'must be at most 1024 characters' },
    ]);
    expect(conditionViolations({ key: 'k', anyOf: [] })[0]?.field).toBe('any_of');
    expect(conditionViolations({ key: 'k', anyOf: Array.from({ length: 65 }, (_, i) => `v${i}`) })[0]?.field).toBe(
      'any_of',
    );
    expect(conditionViolations({ key: 'k', anyOf: ['a', 'x'.repeat(1025)] })[0]?.field).toBe('any_of[1]');
    expect(conditionViolations({ key: 'k', range: {} })[0]?.field).toBe('range');
    expect(conditionViolations({ key: 'k', range: { gt: 1, gte: 1 } })[0]?.message).toBe('takes gt or gte, not both');
    expect(conditionViolations({ key: 'k', range: { lt: 1, lte: 1 } })[0]?.message).toBe('takes lt or lte, not both');
    expect(conditionViolations({ key: 'k', range: { lte: Number.NaN } })[0]?.field).toBe('range.lte');
    expect(conditionViolations({ key: 'k', range: { gte: 1, lte: 2 } })).toEqual([]);
    expect(conditionViolations({ key: 'k', exists: false })).toEqual([]);
  });
});
