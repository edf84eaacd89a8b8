import { describe, expect, it } from 'vitest';
import { sentenceSpans } from './sentence-spans.js';

const sentences = (text: string) =>
  sentenceSpans(text, 0, text.length).map((span) => text.slice(span.start, span.end).trim());

describe('sentenceSpans', () => {
  it('ends sentences at terminal punctuation followed by space, keeping closing quotes', () => {
    expect(sentences('It works. Does it? Yes! “Quoted.” (Aside.) Last')).toEqual([
      'It works.',
      'Does it?',
      'Yes!',
      '“Quoted.”',
      '(Aside.)',
      'Last',
    ]);
  });

  it('does not split at abbreviations, initials, decimals or dotted names', () => {
    expect(
      sentences('See Fig. 3 and e.g. the U.S. data by J. R. Smith et al. today. Pi is 3.14 in v1.2.3 here.'),
    ).toEqual(['See Fig. 3 and e.g. the U.S. data by J. R. Smith et al. today.', 'Pi is 3.14 in v1.2.3 here.']);
  });

  it('ends at every line break, so list items and code lines stay whole', () => {
    expect(sentences('- first item\n- second item\nconst x = 1;')).toEqual([
      '- first item',
      '- second item',
      'const x = 1;',
    ]);
    expect(sentences('Done. \n- item one.\n\nNext')).toEqual(['Done.', '- item one.', 'Next']);
  });

  it('covers the range without gaps and stays linear on a huge paragraph', () => {
    const text = 'A sentence that goes on. '.repeat(60_000);
    const started = performance.now();
    const spans = sentenceSpans(text, 0, text.length);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(spans).toHaveLength(60_000);
    expect(text.slice(spans[1]?.start, spans[1]?.end)).toBe('A sentence that goes on. ');
    spans.forEach((span, i) => {
      expect(span.start).toBe(i === 0 ? 0 : spans[i - 1]?.end);
    });
    expect(spans.at(-1)?.end).toBe(text.length);
  });
});
