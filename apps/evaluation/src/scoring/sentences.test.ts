import { describe, expect, it } from 'vitest';
import { splitSentences } from './sentences.js';

describe('splitSentences', () => {
  it('splits prose at sentence ends', () => {
    expect(splitSentences('One fact here. Another one! A question?')).toEqual([
      'One fact here.',
      'Another one!',
      'A question?',
    ]);
  });

  it('keeps markers written after the full stop with their sentence', () => {
    expect(splitSentences('Logs are deleted after 90 days. [1] Maps are encrypted. [2][3]')).toEqual([
      'Logs are deleted after 90 days [1].',
      'Maps are encrypted [2][3].',
    ]);
  });

  it('does not split at abbreviations, decimals or lowercase continuations', () => {
    expect(splitSentences('Use a 2.4 GHz network, e.g. your home one. Done.')).toEqual([
      'Use a 2.4 GHz network, e.g. your home one.',
      'Done.',
    ]);
  });

  it('treats each line of an answer as a block and drops bullets', () => {
    expect(splitSentences('- first item\n- second item\n1. third item')).toEqual([
      'first item',
      'second item',
      'third item',
    ]);
  });

  it('joins wrapped source lines when asked, keeping paragraph breaks', () => {
    const source = 'A sentence that wraps\nonto the next line. Another.\n\nA new paragraph';
    expect(splitSentences(source, { joinWrappedLines: true })).toEqual([
      'A sentence that wraps onto the next line.',
      'Another.',
      'A new paragraph',
    ]);
    expect(splitSentences(source)).toHaveLength(4);
  });
});
