import { describe, expect, it } from 'vitest';
import { normalisePhrase, toMatchingText } from './matching-text.js';

describe('toMatchingText', () => {
  it('folds compatibility forms and case, mapping back to original offsets', () => {
    const original = 'Say ＢＯＭＢ now';
    const matching = toMatchingText(original);
    expect(matching.text).toBe('say bomb now');
    const start = matching.text.indexOf('bomb');
    const span = matching.originalSpan(start, start + 4);
    expect(original.slice(span.start, span.end)).toBe('ＢＯＭＢ');
  });

  it('composes combining marks and drops invisible format characters', () => {
    const original = 'Cafe\u0301 bo\u200bmb';
    const matching = toMatchingText(original);
    expect(matching.text).toBe('café bomb');
    const start = matching.text.indexOf('bomb');
    const span = matching.originalSpan(start, start + 4);
    expect(original.slice(span.start, span.end)).toBe('bo\u200bmb');
  });

  it('maps a character that lowercases to two back to its single original', () => {
    const original = 'İstanbul';
    const matching = toMatchingText(original);
    expect(matching.text.length).toBe(original.length + 1);
    expect(matching.originalSpan(0, 2)).toEqual({ start: 0, end: 1 });
  });
});

/** The per-character form this module computed before it worked in runs: the reference for spans. */
function referenceMatchingText(original: string) {
  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (const match of original.matchAll(/\P{M}\p{M}*|\p{M}+/gu)) {
    if (/^\p{Cf}+$/u.test(match[0])) continue;
    const normalised = match[0].normalize('NFKC').toLowerCase();
    for (let index = 0; index < normalised.length; index++) {
      starts.push(match.index);
      ends.push(match.index + match[0].length);
    }
    text += normalised;
  }
  return { text, starts, ends };
}

describe('toMatchingText on long and mixed texts', () => {
  it('agrees with the per-character reference, its spans as tight or tighter', () => {
    const alphabet = [
      'a',
      'B',
      ' ',
      '\n',
      '1',
      '.',
      'é',
      'e\u0301',
      'Ａ',
      'ﬁ',
      '\u200b',
      '\u00ad',
      '漢',
      'İ',
      'ß',
      'कि',
      '😀',
      'Ж',
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let sample = 0; sample < 200; sample++) {
      const original = Array.from(
        { length: 1 + Math.floor(random() * 40) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
      const reference = referenceMatchingText(original);
      const matching = toMatchingText(original);
      expect(matching.text, JSON.stringify(original)).toBe(reference.text);
      for (let index = 0; index < reference.text.length; index++) {
        const span = matching.originalSpan(index, index + 1);
        expect(span.start).toBeGreaterThanOrEqual(reference.starts[index] as number);
        expect(span.end).toBeLessThanOrEqual(reference.ends[index] as number);
        expect(span.start).toBeLessThan(span.end);
      }
    }
  });

  it('reads a document of 4 Mi characters in a fraction of a second (it took seconds per topic list)', () => {
    const paragraph = `${'The office opens at 8am and closes at 6pm on weekdays, except holidays. '.repeat(8)}ＢＯＭＢ drills are on Fridays at café Zoë.\n`;
    const original = paragraph.repeat(Math.ceil(4_194_304 / paragraph.length));
    const startedAt = performance.now();
    const matching = toMatchingText(original);
    // About 50 ms here; character by character it took 1.4 s, once per topic list of the policy.
    expect(performance.now() - startedAt).toBeLessThan(700);
    const start = matching.text.lastIndexOf('bomb');
    const span = matching.originalSpan(start, start + 4);
    expect(original.slice(span.start, span.end)).toBe('ＢＯＭＢ');
  });
});

describe('normalisePhrase', () => {
  it('normalises like the text and collapses whitespace', () => {
    expect(normalisePhrase('  Build\u00a0A   ＢＯＭＢ ')).toBe('build a bomb');
  });
});
