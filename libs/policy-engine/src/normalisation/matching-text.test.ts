import { describe, expect, it } from 'vitest';
import { digitOf, foldFragment, normalisePhrase, toDetectionText, toMatchingText } from './matching-text.js';

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
    if (/^(?:\p{Cf}|[\ufe00-\ufe0f])+$/u.test(match[0])) continue;
    const normalised = foldFragment(match[0], true);
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
      'а',
      'Ρ',
      '٤',
      '\u202e',
      '\u2066',
      '\ufe0f',
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

describe('toDetectionText', () => {
  const spanOf = (original: string, needle: string) => {
    const detection = toDetectionText(original);
    const start = detection.text.indexOf(needle);
    expect(start, detection.text).toBeGreaterThanOrEqual(0);
    const span = detection.originalSpan(start, start + needle.length);
    return original.slice(span.start, span.end);
  };

  it('returns an ASCII text as it is', () => {
    const detection = toDetectionText('Mail ann@example.com');
    expect(detection.identity).toBe(true);
    expect(detection.text).toBe('Mail ann@example.com');
  });

  it('keeps case, which secrets and IBANs need', () => {
    expect(toDetectionText('Key ＡＫＩＡ').text).toBe('Key AKIA');
  });

  it('reads fullwidth digits and Arabic-Indic, Devanagari and mathematical digits as ASCII digits', () => {
    expect(toDetectionText('４１１１ ٤١١١ ४१११ 𝟒𝟏𝟏𝟏').text).toBe('4111 4111 4111 4111');
    expect(digitOf('٠')).toBe('0');
    expect(digitOf('९')).toBe('9');
    expect(digitOf('𝟗')).toBe('9');
  });

  it('folds Cyrillic and Greek look-alikes to Latin letters', () => {
    expect(toDetectionText('раураl').text).toBe('paypal');
    expect(toDetectionText('ΑΚΙΑ').text).toBe('AKIA');
  });

  it('drops zero-width and bidirectional controls, mapping spans back over them', () => {
    const original = 'card 4111\u200d1111\u202e1111\u20661111 ok';
    expect(toDetectionText(original).text).toBe('card 4111111111111111 ok');
    expect(spanOf(original, '4111111111111111')).toBe('4111\u200d1111\u202e1111\u20661111');
  });

  it('maps a fullwidth e-mail back onto its original characters', () => {
    const original = 'write to ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ today';
    expect(spanOf(original, 'ann@example.com')).toBe('ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ');
  });
});
