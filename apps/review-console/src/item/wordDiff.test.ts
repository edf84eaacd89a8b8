import { describe, expect, it } from 'vitest';
import { changeCount, wordDiff } from './wordDiff';

describe('wordDiff', () => {
  it('marks the words removed from and added to the original answer', () => {
    const parts = wordDiff('Refunds within 30 days.', 'Refunds within 14 days.');
    expect(parts.filter((part) => part.kind === 'removed').map((part) => part.text.trim())).toEqual(['30']);
    expect(parts.filter((part) => part.kind === 'added').map((part) => part.text.trim())).toEqual(['14']);
    // Reading the kept and added parts in order gives back the correction.
    expect(
      parts
        .filter((part) => part.kind !== 'removed')
        .map((part) => part.text)
        .join(''),
    ).toBe('Refunds within 14 days.');
    expect(changeCount(parts)).toEqual({ added: 1, removed: 1 });
  });

  it('finds nothing to change in an identical text', () => {
    const parts = wordDiff('same text', 'same text');
    expect(parts.every((part) => part.kind === 'same')).toBe(true);
    expect(changeCount(parts)).toEqual({ added: 0, removed: 0 });
  });
});
