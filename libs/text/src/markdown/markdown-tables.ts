/**
 * GFM pipe tables in Markdown text (a header row, a delimiter row of `---` cells, then rows), so
 * the chunker can keep each whole. Found line by line: remark-parse without the GFM extension
 * reads them as paragraphs, and loading remark-gfm for this alone is not worth it. Tables inside
 * fenced code blocks are code, not tables.
 */
import type { TableSpan } from '../parsed-document.js';

const DELIMITER = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

function isRow(line: string): boolean {
  return line.includes('|') && line.trim() !== '';
}

export function markdownTables(text: string): TableSpan[] {
  const tables: TableSpan[] = [];
  const lines = text.split('\n');
  const starts: number[] = [];
  let offset = 0;
  for (const line of lines) {
    starts.push(offset);
    offset += line.length + 1;
  }
  let fenced = false;
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] as string;
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (!fenced && isRow(line) && DELIMITER.test(lines[index + 1] ?? '') && (lines[index + 1] ?? '').includes('-')) {
      let last = index + 1;
      while (last + 1 < lines.length && isRow(lines[last + 1] as string)) last += 1;
      const start = (starts[index] as number) + (line.length - line.trimStart().length);
      const end = (starts[last] as number) + (lines[last] as string).trimEnd().length;
      tables.push({ start, end });
      index = last + 1;
      continue;
    }
    index += 1;
  }
  return tables;
}
