import { describe, expect, it } from 'vitest';
import { countBpeTokens } from './cl100k-bpe.js';

describe('countBpeTokens', () => {
  it('counts cl100k_base tokens', () => {
    expect(countBpeTokens('')).toBe(0);
    // Reference values of the cl100k_base encoding.
    expect(countBpeTokens('hello world')).toBe(2);
    expect(countBpeTokens('The quick brown fox jumps over the lazy dog.')).toBe(10);
  });

  it('treats special-token text in documents as plain characters instead of throwing', () => {
    expect(countBpeTokens('before <|endoftext|> after')).toBeGreaterThan(3);
  });
});
