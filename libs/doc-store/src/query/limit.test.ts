import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../document-store.js';
import { clampLimit } from './limit.js';

describe('clampLimit', () => {
  it('defaults to 50 and clamps to 1..1000', () => {
    expect(clampLimit(undefined)).toBe(50);
    expect(clampLimit(0)).toBe(1);
    expect(clampLimit(-5)).toBe(1);
    expect(clampLimit(10.9)).toBe(10);
    expect(clampLimit(5000)).toBe(1000);
    expect(clampLimit(Number.POSITIVE_INFINITY)).toBe(1000);
    expect(() => clampLimit(Number.NaN)).toThrow(InvalidQueryError);
  });
});
