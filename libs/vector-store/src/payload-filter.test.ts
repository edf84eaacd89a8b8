import { describe, expect, it } from 'vitest';
import { conditionMatches, filterMatches } from './payload-filter.js';

describe('payload conditions', () => {
  it('equals: same type, or an element of an array', () => {
    expect(conditionMatches('a', { key: 'k', equals: 'a' })).toBe(true);
    expect(conditionMatches(2, { key: 'k', equals: '2' })).toBe(false);
    expect(conditionMatches('2', { key: 'k', equals: 2 })).toBe(false);
    expect(conditionMatches(['x', 'a'], { key: 'k', equals: 'a' })).toBe(true);
    expect(conditionMatches(false, { key: 'k', equals: false })).toBe(true);
    expect(conditionMatches(undefined, { key: 'k', equals: 'a' })).toBe(false);
  });

  it('anyOf: strings and arrays sharing a value; [] matches nothing', () => {
    expect(conditionMatches('b', { key: 'k', anyOf: ['a', 'b'] })).toBe(true);
    expect(conditionMatches(['c', 'b'], { key: 'k', anyOf: ['b'] })).toBe(true);
    expect(conditionMatches(['c'], { key: 'k', anyOf: [] })).toBe(false);
    expect(conditionMatches(1, { key: 'k', anyOf: ['1'] })).toBe(false);
  });

  it('range: numbers within every bound; never strings, booleans, arrays or missing keys', () => {
    expect(conditionMatches(5, { key: 'k', range: { gt: 4, lte: 5 } })).toBe(true);
    expect(conditionMatches(5, { key: 'k', range: { gt: 5 } })).toBe(false);
    expect(conditionMatches(5, { key: 'k', range: { gte: 5, lt: 5 } })).toBe(false);
    expect(conditionMatches(-1.5, { key: 'k', range: { lt: 0 } })).toBe(true);
    expect(conditionMatches('5', { key: 'k', range: { gte: 0 } })).toBe(false);
    expect(conditionMatches(true, { key: 'k', range: { gte: 0 } })).toBe(false);
    expect(conditionMatches(['5'], { key: 'k', range: { gte: 0 } })).toBe(false);
    expect(conditionMatches(undefined, { key: 'k', range: { gte: 0 } })).toBe(false);
  });

  it('exists: any scalar or non-empty array; exists false for missing keys and []', () => {
    for (const value of ['', 0, false, ['a']]) expect(conditionMatches(value, { key: 'k', exists: true })).toBe(true);
    expect(conditionMatches([], { key: 'k', exists: true })).toBe(false);
    expect(conditionMatches([], { key: 'k', exists: false })).toBe(true);
    expect(conditionMatches(undefined, { key: 'k', exists: false })).toBe(true);
    expect(conditionMatches(undefined, { key: 'k', exists: true })).toBe(false);
  });

  it('a filter needs every condition, and reads only own keys', () => {
    const payload = { tenantId: 't', 'meta.year': 2001, aclGroups: ['eng'] };
    expect(
      filterMatches(payload, {
        must: [
          { key: 'tenantId', equals: 't' },
          { key: 'meta.year', range: { gte: 2000 } },
          { key: 'aclGroups', anyOf: ['eng', '*'] },
        ],
      }),
    ).toBe(true);
    expect(
      filterMatches(payload, {
        must: [
          { key: 'tenantId', equals: 't' },
          { key: 'x', exists: true },
        ],
      }),
    ).toBe(false);
    expect(filterMatches(payload, { must: [{ key: 'constructor', exists: true }] })).toBe(false);
    expect(filterMatches(payload, { must: [] })).toBe(true);
  });
});
