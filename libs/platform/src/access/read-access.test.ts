import { describe, expect, it } from 'vitest';
import { canRead, canReadGroups, combineReadRequirements, readRequirementsOf } from './read-access.js';

describe('read access', () => {
  it('derives one canonical requirement per distinct restricted source', () => {
    expect(readRequirementsOf([[], ['legal', 'hr'], ['hr', 'legal', ' '], ['finance']])).toEqual([
      { anyOf: ['finance'] },
      { anyOf: ['hr', 'legal'] },
    ]);
    expect(readRequirementsOf([[], []])).toEqual([]);
  });

  it('lets a caller read a derived record only when it could read every source', () => {
    const requirements = readRequirementsOf([['legal', 'hr'], ['finance']]);
    expect(canRead(['hr', 'finance'], requirements)).toBe(true);
    expect(canRead(['hr'], requirements)).toBe(false);
    expect(canRead([], requirements)).toBe(false);
    expect(canRead([], [])).toBe(true);
    expect(canRead([], undefined)).toBe(true);
  });

  it('treats a source without groups as readable by the whole tenant', () => {
    expect(canReadGroups([], [])).toBe(true);
    expect(canReadGroups([], ['legal'])).toBe(false);
    expect(canReadGroups(['legal'], ['legal', 'hr'])).toBe(true);
  });

  it('combines requirements of several records', () => {
    expect(combineReadRequirements([{ anyOf: ['b'] }], undefined, [{ anyOf: ['a'] }, { anyOf: ['b'] }])).toEqual([
      { anyOf: ['a'] },
      { anyOf: ['b'] },
    ]);
  });
});
