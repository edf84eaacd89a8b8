import { describe, expect, it } from 'vitest';
import { contentTerms } from './content-terms.js';
import { CONTRADICTION_CAP, longestCommonSubsequence, prepareChunk, supportOf } from './support.js';

const chunk = prepareChunk(
  'c1',
  `Every Northwind robot carries a two-year limited warranty that covers defects in materials and
workmanship. Batteries are covered for 18 months or 500 charge cycles, whichever comes first.
The warranty does not cover damage from water, drops, or repairs by unauthorised service centres.`,
);

const support = (claim: string) => supportOf(contentTerms(claim), chunk);

describe('longestCommonSubsequence', () => {
  it('measures in-order overlap', () => {
    expect(longestCommonSubsequence(['a', 'b', 'c', 'd'], ['a', 'x', 'c', 'd'])).toBe(3);
    expect(longestCommonSubsequence(['a', 'b'], ['b', 'a'])).toBe(1);
    expect(longestCommonSubsequence([], ['a'])).toBe(0);
  });
});

describe('supportOf', () => {
  it('scores a verbatim quote 1', () => {
    expect(support('Batteries are covered for 18 months or 500 charge cycles, whichever comes first.')).toBe(1);
  });

  it('scores unrelated text 0', () => {
    expect(support('The sky over Lisbon is blue in summer.')).toBe(0);
  });

  it('rewards source word order over the same words shuffled', () => {
    const inOrder = support('Batteries are covered for 18 months or 500 charge cycles.');
    const shuffled = support('Charge cycles are 500, months are 18, batteries covered.');
    expect(inOrder).toBeGreaterThan(shuffled);
    expect(shuffled).toBeGreaterThan(0.7);
  });

  it('grows with the share of the claim the chunk covers', () => {
    const full = support('Batteries are covered for 18 months.');
    const half = support('Batteries are covered by an insurance company in Denmark.');
    expect(full).toBeGreaterThan(half);
    expect(half).toBeLessThan(0.6);
  });

  it('caps a claim whose number the chunk does not hold', () => {
    expect(support('Batteries are covered for 36 months.')).toBeLessThanOrEqual(CONTRADICTION_CAP);
  });

  it('caps a claim the chunk negates, and one that negates what the chunk says', () => {
    expect(support('The warranty covers water damage.')).toBeLessThanOrEqual(CONTRADICTION_CAP);
    expect(support('The warranty does not cover defects in materials.')).toBeLessThanOrEqual(CONTRADICTION_CAP);
    expect(support('The warranty does not cover water damage.')).toBeGreaterThan(0.9);
  });

  it('reads one chunk sentence (or two adjacent) at a time, not a bag of all its words', () => {
    // "covers", "materials" and "500" sit in different sentences that are not adjacent.
    const far = prepareChunk(
      'c2',
      'The warranty covers materials. Nothing else here at all. Batteries last 500 cycles.',
    );
    expect(supportOf(contentTerms('The warranty covers 500 cycles of materials.'), far)).toBeLessThan(0.7);
  });
});
