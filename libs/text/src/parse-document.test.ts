import { describe, expect, it } from 'vitest';
import { chunkDocument } from './chunk-document.js';
import { TextError } from './errors.js';
import { parseDocument } from './parse-document.js';

describe('parseDocument', () => {
  it('parses plain text into one section over the normalised text', () => {
    const parsed = parseDocument({ text: '\uFEFFHello\r\nworld', contentType: 'text/plain; charset=utf-8' });
    expect(parsed).toEqual({
      text: 'Hello\nworld',
      parser: 'plain-text-v1',
      sections: [{ heading: [], start: 0, end: 11 }],
    });
  });

  it('keeps Markdown text as written and derives nested heading paths from positions', () => {
    const text = [
      'Intro before any heading.',
      '',
      '# Guide',
      '',
      'Guide intro.',
      '',
      '## Install *quickly*',
      '',
      'Run it.',
      '',
      '### Linux',
      '',
      'apt-get.',
      '',
      '## Use',
      '',
      '> # Not a section (inside a quote)',
      '',
      'Setext Title',
      '============',
      '',
      'Body.',
    ].join('\n');
    const parsed = parseDocument({ text, contentType: 'text/markdown' });
    expect(parsed.text).toBe(text);
    expect(parsed.parser).toBe('markdown-remark-v1');
    const view = parsed.sections.map((section) => ({
      heading: section.heading,
      text: parsed.text.slice(section.start, section.end).trim(),
    }));
    expect(view).toEqual([
      { heading: [], text: 'Intro before any heading.' },
      { heading: ['Guide'], text: '# Guide\n\nGuide intro.' },
      { heading: ['Guide', 'Install quickly'], text: '## Install *quickly*\n\nRun it.' },
      { heading: ['Guide', 'Install quickly', 'Linux'], text: '### Linux\n\napt-get.' },
      { heading: ['Guide', 'Use'], text: '## Use\n\n> # Not a section (inside a quote)' },
      { heading: ['Setext Title'], text: 'Setext Title\n============\n\nBody.' },
    ]);
  });

  it('keeps offsets exact after astral characters and CRLF normalisation', () => {
    const parsed = parseDocument({
      text: '🚀 launch notes 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\r\n\r\n## Next 🚀\r\n\r\nBody',
      contentType: 'text/markdown',
    });
    const next = parsed.sections[1];
    expect(next?.heading).toEqual(['Next 🚀']);
    expect(parsed.text.slice(next?.start, next?.end)).toBe('## Next 🚀\n\nBody');
  });

  it('covers the whole text with contiguous sections', () => {
    const parsed = parseDocument({ text: '# A\n\nx\n\n## B\n\ny\n', contentType: 'text/markdown' });
    expect(parsed.sections[0]?.start).toBe(0);
    expect(parsed.sections.at(-1)?.end).toBe(parsed.text.length);
    parsed.sections.slice(1).forEach((section, i) => {
      expect(section.start).toBe(parsed.sections[i]?.end);
    });
  });

  it('rejects unsupported content types with a stable, non-retryable code', () => {
    const attempt = () => parseDocument({ text: '%PDF-1.7', contentType: 'application/pdf' });
    expect(attempt).toThrow(TextError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'PARSE.UNSUPPORTED_CONTENT_TYPE', retryable: false }));
  });

  it('rejects empty and blank documents', () => {
    for (const text of ['', '\uFEFF', ' \r\n\t ']) {
      expect(() => parseDocument({ text, contentType: 'text/plain' })).toThrow(
        expect.objectContaining({ code: 'PARSE.EMPTY_DOCUMENT', retryable: false }),
      );
    }
  });
});

describe('parseDocument: Markdown tables', () => {
  it('finds pipe tables (not in code fences), so the chunker keeps them whole', () => {
    const text = [
      '# Prices',
      '',
      'Plans and what they cost per month, billed yearly or monthly as chosen at signup.',
      '',
      '| Plan | Price | Seats |',
      '| :--- | ---: | --- |',
      '| Basic | 10 EUR | 1 |',
      '| Team | 40 EUR | 5 |',
      '| Business | 120 EUR | 20 |',
      '',
      '```',
      '| not | a table |',
      '| --- | --- |',
      '```',
    ].join('\n');
    const parsed = parseDocument({ text, contentType: 'text/markdown' });
    expect(parsed.tables?.map((table) => parsed.text.slice(table.start, table.end))).toEqual([
      '| Plan | Price | Seats |\n| :--- | ---: | --- |\n| Basic | 10 EUR | 1 |\n| Team | 40 EUR | 5 |\n| Business | 120 EUR | 20 |',
    ]);
    // 50 tokens: the table (46) fits a chunk, but not beside the paragraph before it; without the
    // table span the chunk would be cut after its delimiter row.
    const table = parsed.text.slice(parsed.tables?.[0]?.start, parsed.tables?.[0]?.end);
    expect(chunkDocument(parsed, { maxTokens: 50, overlapTokens: 0 }).some((chunk) => chunk.text.includes(table))).toBe(
      true,
    );
    const untabled = { ...parsed, tables: undefined };
    expect(
      chunkDocument(untabled, { maxTokens: 50, overlapTokens: 0 }).some((chunk) => chunk.text.includes(table)),
    ).toBe(false);
    expect(parseDocument({ text: 'a | b', contentType: 'text/markdown' }).tables).toBeUndefined();
  });
});
