import { describe, expect, it } from 'vitest';
import { queryTerms, SNIPPET_LENGTH, snippetOf } from './snippet.js';

const marked = (snippet: { text: string; highlights: { start: number; end: number }[] }) =>
  snippet.highlights.map(({ start, end }) => snippet.text.slice(start, end));

describe('snippetOf', () => {
  it('marks the query terms as keyword search matches them: case, accents, no stopwords', () => {
    const snippet = snippetOf('The Café serves HOTEL guests; the hotel bar is closed.', queryTerms('the hotel cafe'));
    expect(snippet.text).toBe('The Café serves HOTEL guests; the hotel bar is closed.');
    expect(marked(snippet)).toEqual(['Café', 'HOTEL', 'hotel']);
  });

  it('cuts a long text to a window around the terms, on word boundaries, with ellipses', () => {
    const filler = 'lorem ipsum dolor sit amet '.repeat(30);
    const text = `${filler}The refund is paid within five days to the original card. ${filler}`;
    const snippet = snippetOf(text, queryTerms('refund card'));
    expect(snippet.text.startsWith('…')).toBe(true);
    expect(snippet.text.endsWith('…')).toBe(true);
    expect(snippet.text.length).toBeLessThanOrEqual(SNIPPET_LENGTH + 2);
    expect(marked(snippet)).toEqual(['refund', 'card']);
    // Whole words: the text between the ellipses starts and ends on a word of the original.
    const body = snippet.text.slice(1, -1);
    expect(text.includes(body)).toBe(true);
    expect(/^\w/.test(body) && /\w$/.test(body)).toBe(true);
  });

  it('prefers the window holding the most distinct terms', () => {
    const text = `hotel ${'x '.repeat(200)}hotel night price ${'y '.repeat(200)}`;
    const snippet = snippetOf(text, queryTerms('hotel night price'));
    expect(marked(snippet)).toEqual(['hotel', 'night', 'price']);
  });

  it('starts at the beginning when nothing matches (a dense hit)', () => {
    const text = 'word '.repeat(100);
    const snippet = snippetOf(text, queryTerms('unrelated'));
    expect(snippet.highlights).toEqual([]);
    expect(snippet.text.startsWith('word')).toBe(true);
    expect(snippet.text.endsWith('…')).toBe(true);
    expect(snippetOf('short text', queryTerms('')).text).toBe('short text');
  });
});
