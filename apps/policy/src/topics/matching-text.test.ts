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

describe('normalisePhrase', () => {
  it('normalises like the text and collapses whitespace', () => {
    expect(normalisePhrase('  Build\u00a0A   ＢＯＭＢ ')).toBe('build a bomb');
  });
});
