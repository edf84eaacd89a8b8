import { describe, expect, it } from 'vitest';
import { contentTerms, isNegatedTerm, isNumericTerm, stem } from './content-terms.js';

describe('contentTerms', () => {
  it('drops function words and lowercases', () => {
    expect(contentTerms('The Robot is on the dock')).toEqual(['robot', 'dock']);
  });

  it('stems plurals, -ed and -ing the same way on both sides', () => {
    expect(stem('batteries')).toBe(stem('battery'));
    expect(stem('lasts')).toBe(stem('lasted'));
    expect(stem('charging')).toBe(stem('charge'));
    expect(stem('boxes')).toBe('box');
    expect(stem('access')).toBe('access');
  });

  it('keeps numbers exact, turns number words into digits and drops thousands separators', () => {
    expect(contentTerms('two years, 1,000 cycles and 2.4 GHz')).toEqual(['2', 'year', '1000', 'cycl', '2.4', 'ghz']);
    expect(isNumericTerm('2.4')).toBe(true);
    expect(isNumericTerm('ghz')).toBe(false);
  });

  it('fuses a negation onto the next content word of its clause', () => {
    expect(contentTerms('The warranty does not cover water damage')).toEqual([
      'warranty',
      'not:cover',
      'water',
      'damag',
    ]);
    expect(contentTerms("Filters can't be returned")).toEqual(['filter', 'not:return']);
    expect(contentTerms('Maps never leave the region')).toEqual(['map', 'not:leav', 'region']);
    expect(isNegatedTerm('not:cover')).toBe(true);
  });

  it('ends a negation at punctuation', () => {
    expect(contentTerms('It is not. Robots clean')).toEqual(['robot', 'clean']);
  });

  it('handles possessives and typographic apostrophes', () => {
    expect(contentTerms('the customer’s region')).toEqual(['customer', 'region']);
    expect(contentTerms('it doesn’t leave')).toEqual(['not:leav']);
  });
});
