import { describe, expect, it } from 'vitest';
import type { Citation, ContextChunk } from '../api/types';
import { citationFor, cut, locateQuote, markersOf, splitAnswer } from './citations';

const contexts: ContextChunk[] = [
  {
    chunkId: 'c1',
    documentId: 'd1',
    text: 'Customers may return items within 30 days\nof purchase for a full refund.',
  },
  { chunkId: 'c2', documentId: 'd2', text: 'Opened items are exchanged for store credit only.' },
];

describe('citation markers', () => {
  it('splits an answer into text and markers, including [1, 2] and repeated markers', () => {
    expect(splitAnswer('A [1]. B [1, 2]. See [note] and [3]')).toEqual([
      { kind: 'text', text: 'A ' },
      { kind: 'marker', marker: 1, text: '[1]' },
      { kind: 'text', text: '. B ' },
      { kind: 'marker', marker: 1, text: '[1]' },
      { kind: 'text', text: ' ' },
      { kind: 'marker', marker: 2, text: '[2]' },
      { kind: 'text', text: '. See [note] and ' },
      { kind: 'marker', marker: 3, text: '[3]' },
    ]);
    expect(markersOf('A [2] b [1] c [2]')).toEqual([2, 1]);
    expect(splitAnswer('no markers')).toEqual([{ kind: 'text', text: 'no markers' }]);
  });

  it('finds the citation by its marker, else by position when the producer numbers none', () => {
    const marked: Citation[] = [
      { documentId: 'd2', chunkId: 'c2', marker: 2 },
      { documentId: 'd1', chunkId: 'c1', marker: 1 },
    ];
    expect(citationFor(1, marked)?.chunkId).toBe('c1');
    expect(citationFor(3, marked)).toBeUndefined();
    const unmarked: Citation[] = [
      { documentId: 'd1', chunkId: 'c1', marker: 0 },
      { documentId: 'd2', chunkId: 'c2' },
    ];
    expect(citationFor(2, unmarked)?.chunkId).toBe('c2');
  });

  it('locates the quote inside its passage, tolerating case and line breaks', () => {
    const exact = locateQuote({ documentId: 'd2', chunkId: 'c2', quote: 'store credit' }, contexts);
    expect(exact).toEqual({ chunkId: 'c2', start: 31, end: 43, quoteFound: true });
    const loose = locateQuote({ documentId: 'd1', chunkId: 'c1', quote: 'Within 30 days of purchase' }, contexts);
    expect(loose?.quoteFound).toBe(true);
    const text = contexts[0]?.text ?? '';
    expect(text.slice(loose?.start, loose?.end)).toBe('within 30 days\nof purchase');
  });

  it('highlights the whole passage when the quote is absent, and says so', () => {
    expect(locateQuote({ documentId: 'd2', chunkId: 'c2', quote: 'never said' }, contexts)).toEqual({
      chunkId: 'c2',
      start: 0,
      end: contexts[1]?.text.length,
      quoteFound: false,
    });
    expect(locateQuote({ documentId: 'd2', chunkId: 'c2' }, contexts)?.quoteFound).toBe(true);
    expect(locateQuote({ documentId: 'd9', chunkId: 'c9', quote: 'x' }, contexts)).toBeUndefined();
  });

  it('cuts a text around a range, clamped to the text', () => {
    expect(cut('abcdef', 2, 4)).toEqual(['ab', 'cd', 'ef']);
    expect(cut('abc', -1, 10)).toEqual(['', 'abc', '']);
  });
});
