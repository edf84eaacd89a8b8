import { describe, expect, it } from 'vitest';
import { estimateTokens } from './token-estimate.js';

describe('estimateTokens', () => {
  it('counts a short word as one token and a long one per seven characters', () => {
    expect(estimateTokens('the cat')).toBe(2);
    expect(estimateTokens('internationalization')).toBe(3);
  });

  it('counts punctuation runs per two characters', () => {
    expect(estimateTokens('a, b.')).toBe(4);
    expect(estimateTokens('## Title')).toBe(2);
    expect(estimateTokens('|---|')).toBe(3);
  });

  it('is zero for whitespace', () => {
    expect(estimateTokens(' \n\t')).toBe(0);
  });
});
