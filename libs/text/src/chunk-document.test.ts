import { describe, expect, it } from 'vitest';
import { type Chunk, chunkDocument } from './chunk-document.js';
import { countTokens } from './count-tokens.js';
import { parseDocument } from './parse-document.js';
import type { ParsedDocument } from './parsed-document.js';

const sentences = [
  'The compressor stalls when the inlet flow separates at high angles of attack.',
  'Engineers measured the pressure ratio across twelve stages.',
  'A thin boundary layer delays separation!',
  'Does the shock wave move upstream as the Mach number rises?',
  'Results agree with the potential flow theory within five percent.',
  'Heat transfer at the stagnation point was estimated from wind tunnel data.',
];

/** Deterministic prose: paragraphs of varying length built from the sentences above. */
function prose(paragraphs: number, seed = 7): string {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  return Array.from({ length: paragraphs }, () =>
    Array.from({ length: 1 + (next() % 6) }, () => sentences[next() % sentences.length]).join(' '),
  ).join('\n\n');
}

function expectWellFormed(parsed: ParsedDocument, chunks: Chunk[], maxTokens: number): void {
  expect(chunks.length).toBeGreaterThan(0);
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    expect(parsed.text.slice(chunk.start, chunk.end)).toBe(chunk.text);
    expect(chunk.text).toBe(chunk.text.trim());
    expect(chunk.tokenCount).toBe(countTokens(chunk.text));
    expect(chunk.tokenCount).toBeLessThanOrEqual(maxTokens);
    // No lone surrogate: a chunk never cuts a character in half.
    expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(chunk.text)).toBe(false);
    const previous = chunks[i - 1];
    if (previous) {
      expect(chunk.start).toBeGreaterThan(previous.start);
      expect(chunk.end).toBeGreaterThan(previous.end);
    }
  });
}

/** Every non-whitespace character of the document is in some chunk. */
function expectFullCoverage(parsed: ParsedDocument, chunks: Chunk[]): void {
  const covered = new Uint8Array(parsed.text.length);
  for (const chunk of chunks) covered.fill(1, chunk.start, chunk.end);
  const missing = [...parsed.text].filter((_, i) => !covered[i] && !/\s/.test(parsed.text[i] ?? '')).length;
  expect(missing).toBe(0);
}

describe('chunkDocument', () => {
  it('cuts prose into exact, bounded, overlapping chunks that end on sentence boundaries', () => {
    const parsed = parseDocument({ text: prose(40), contentType: 'text/plain' });
    const chunks = chunkDocument(parsed, { maxTokens: 80, overlapTokens: 20 });
    expectWellFormed(parsed, chunks, 80);
    expectFullCoverage(parsed, chunks);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) expect(chunk.text).toMatch(/[.!?]$/);
    let overlapping = 0;
    chunks.slice(1).forEach((chunk, i) => {
      const previous = chunks[i] as Chunk;
      if (chunk.start < previous.end) {
        overlapping += 1;
        expect(countTokens(parsed.text.slice(chunk.start, previous.end))).toBeLessThanOrEqual(20);
      }
    });
    expect(overlapping).toBeGreaterThan(chunks.length / 2);
  });

  it('uses 200 tokens and 30 tokens of overlap by default', () => {
    const parsed = parseDocument({ text: prose(120), contentType: 'text/plain' });
    const chunks = chunkDocument(parsed);
    expectWellFormed(parsed, chunks, 200);
    const sizes = chunks.slice(0, -1).map((chunk) => chunk.tokenCount);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(100);
  });

  it('prefers to end a full chunk at a paragraph end', () => {
    const paragraph = (n: number) => `Paragraph ${n} opens here. ${sentences.slice(0, 4).join(' ')}`;
    const text = [1, 2, 3, 4, 5, 6].map(paragraph).join('\n\n');
    const parsed = parseDocument({ text, contentType: 'text/plain' });
    const chunks = chunkDocument(parsed, { maxTokens: 120, overlapTokens: 0 });
    expectWellFormed(parsed, chunks, 120);
    for (const chunk of chunks) {
      expect(chunk.text).toMatch(/^Paragraph \d opens here\./);
      expect(chunk.text.endsWith(sentences[3] as string)).toBe(true);
    }
  });

  it('never crosses a Markdown section and labels each chunk with its heading path', () => {
    const text = [
      '# Guide',
      '',
      '## Install',
      '',
      prose(6, 1),
      '',
      '## Operate',
      '',
      prose(6, 2),
      '',
      '# Appendix',
      '',
      'Short appendix.',
    ].join('\n');
    const parsed = parseDocument({ text, contentType: 'text/markdown' });
    const chunks = chunkDocument(parsed, { maxTokens: 60, overlapTokens: 10 });
    expectWellFormed(parsed, chunks, 60);
    expectFullCoverage(parsed, chunks);
    // "# Guide" holds nothing but its heading: it opens the first chunk of its first subsection.
    expect(chunks[0]?.text.startsWith('# Guide\n\n## Install')).toBe(true);
    expect(chunks[0]?.headingPath).toEqual(['Guide', 'Install']);
    for (const chunk of chunks.slice(1)) {
      const section = parsed.sections.find((s) => s.start <= chunk.start && chunk.end <= s.end);
      expect(section?.heading).toEqual(chunk.headingPath);
    }
    expect(chunks.map((chunk) => chunk.headingPath.join(' > '))).toEqual(
      expect.arrayContaining(['Guide > Install', 'Guide > Operate', 'Appendix']),
    );
    expect(chunks.at(-1)?.text).toBe('# Appendix\n\nShort appendix.');
  });

  it('cuts an over-long sentence at spaces and a run without separators anywhere', () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const blob = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(120);
    const emoji = '🚀✨'.repeat(300);
    const parsed = parseDocument({ text: `${words}\n\n${blob}\n\n${emoji}`, contentType: 'text/plain' });
    const chunks = chunkDocument(parsed, { maxTokens: 50, overlapTokens: 0 });
    expectWellFormed(parsed, chunks, 50);
    expectFullCoverage(parsed, chunks);
    for (const chunk of chunks.filter((c) => c.text.startsWith('word'))) {
      expect(chunk.text).toMatch(/^word\d+( word\d+)*$/);
    }
  });

  it('chunks a hostile document of one 160,000-letter word in linear time (it took 18 s)', () => {
    const parsed = parseDocument({ text: 'x'.repeat(160_000), contentType: 'text/plain' });
    const startedAt = performance.now();
    const chunks = chunkDocument(parsed);
    expect(performance.now() - startedAt).toBeLessThan(3000);
    expectFullCoverage(parsed, chunks);
  });

  it('rejects invalid options', () => {
    const parsed = parseDocument({ text: 'Some text.', contentType: 'text/plain' });
    for (const options of [
      { maxTokens: 0 },
      { maxTokens: 10, overlapTokens: 10 },
      { overlapTokens: -1 },
      { maxTokens: 1.5 },
    ]) {
      expect(() => chunkDocument(parsed, options)).toThrow(expect.objectContaining({ code: 'CHUNK.INVALID_OPTIONS' }));
    }
  });
});
