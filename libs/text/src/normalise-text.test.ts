import { describe, expect, it } from 'vitest';
import { normaliseText } from './normalise-text.js';

describe('normaliseText', () => {
  it('strips a byte-order mark, unifies line ends and composes to NFC', () => {
    const decomposed = 'Cafe\u0301';
    expect(normaliseText(`\uFEFFline one\r\nline two\rline three\n${decomposed}`)).toBe(
      'line one\nline two\nline three\nCaf\u00e9',
    );
  });

  it('keeps a byte-order mark that is not at the start (it is content there)', () => {
    expect(normaliseText('a\uFEFFb')).toBe('a\uFEFFb');
  });

  it('is idempotent', () => {
    const once = normaliseText('\uFEFFa\r\nb\u0301');
    expect(normaliseText(once)).toBe(once);
  });
});
