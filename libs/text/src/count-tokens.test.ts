import { describe, expect, it } from 'vitest';
import { countBpeTokens } from './cl100k-bpe.js';
import { countTokens, countTokensWithin, maxRun } from './count-tokens.js';

describe('countTokensWithin', () => {
  it('counts exactly what the tokenizer counts, for text as people write it', () => {
    const samples = [
      '',
      'a',
      'The quick brown fox jumps over the lazy dog.',
      "Don't stop: it's 1234567 o'clock, x=y; naïve café — Zoë's.",
      'Line one\n\n  indented\tcode(); // comment\r\n',
      '我们今天去公园散步，天气很好。明天下雨。',
      'Ünïcödé é (decomposed: e\u0301) ﬁ ＢＯＭＢ 😀👍🏽 family: 👨‍👩‍👧',
      'Παρακαλώ ΟΔΟΣ Σ, русский текст, עברית, العربية.',
      'tabs\t\tand  double  spaces   and trailing   ',
      'https://example.com/path?query=1&other=two#frag user@example.com',
      `${'word '.repeat(3000)}end`,
      '<|endoftext|> looks special but is text',
    ];
    for (const text of samples) {
      expect(countTokensWithin(text), JSON.stringify(text.slice(0, 40))).toEqual({
        tokens: countBpeTokens(text),
        overLimit: false,
      });
    }
  });

  it('stops once past the limit', () => {
    const text = 'word '.repeat(100_000);
    const count = countTokensWithin(text, 8192);
    expect(count.overLimit).toBe(true);
    expect(count.tokens).toBeGreaterThan(8192);
    expect(count.tokens).toBeLessThan(20_000);
    const ten = `${'word '.repeat(9)}word`;
    expect(countTokensWithin(ten, 10)).toEqual({ tokens: 10, overLimit: false });
    expect(countTokensWithin(ten, 9).overLimit).toBe(true);
  });

  it('counts runs no text has (one word of 250,000 letters) in linear time, about right', () => {
    const startedAt = performance.now();
    const letters = countTokensWithin('a'.repeat(250_000));
    const cjk = countTokensWithin('漢'.repeat(100_000));
    const spaces = countTokensWithin(' '.repeat(100_000));
    // countTokens itself took 35 s for 100,000 letters.
    expect(performance.now() - startedAt).toBeLessThan(2_000);
    // Exact for the pieces; a run is cut every `maxRun` characters, so within a token per cut.
    const pieces = Math.ceil(250_000 / maxRun);
    expect(Math.abs(letters.tokens - pieces * countTokens('a'.repeat(maxRun)))).toBeLessThanOrEqual(pieces);
    expect(cjk.tokens).toBeGreaterThan(0);
    expect(spaces.tokens).toBeGreaterThan(0);
  });

  it('never cuts a surrogate pair in two', () => {
    // A run of 1,000 emoji (2,000 UTF-16 units) is cut: exact only if no cut splits a pair, since a
    // lone surrogate would be counted as a replacement character.
    for (const text of ['😀'.repeat(1000), `x${'😀'.repeat(1000)}`]) {
      expect(countTokensWithin(text).tokens).toBe(countTokens(text));
    }
  });
});

describe('countTokens', () => {
  it('counts cl100k_base tokens, also of documents with absurdly long words, in linear time', () => {
    expect(countTokens('hello world')).toBe(2);
    const startedAt = performance.now();
    expect(countTokens('a'.repeat(160_000))).toBeGreaterThan(0);
    expect(performance.now() - startedAt).toBeLessThan(3000);
  });
});
