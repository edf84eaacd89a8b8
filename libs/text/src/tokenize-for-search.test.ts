import { describe, expect, it } from 'vitest';
import { tokenizeForSearch } from './tokenize-for-search.js';

describe('tokenizeForSearch', () => {
  it('lowercases, splits on non-word characters and drops stopwords, keeping repeats', () => {
    expect(tokenizeForSearch("What's the state-of-the-art in turbine design? Turbine, TURBINE!")).toEqual([
      'state',
      'art',
      'turbine',
      'design',
      'turbine',
      'turbine',
    ]);
  });

  it('folds Latin accents and compatibility forms but leaves other scripts intact', () => {
    expect(tokenizeForSearch('Café naïve ﬁle')).toEqual(['cafe', 'naive', 'file']);
    expect(tokenizeForSearch('йод हिन्दी')).toEqual(['йод', 'हिन्दी']);
  });

  it('keeps numbers and negations, drops over-long runs', () => {
    expect(tokenizeForSearch(`no 42 ${'x'.repeat(41)} v2`)).toEqual(['no', '42', 'v2']);
  });

  it('returns nothing for stopwords or punctuation only', () => {
    expect(tokenizeForSearch('the of and ... !!!')).toEqual([]);
  });
});
