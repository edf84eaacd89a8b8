import { countTokens } from './count-tokens.js';
import { TextError, TextErrorCode } from './errors.js';
import type { DocumentSection, PageSpan, ParsedDocument, TableSpan } from './parsed-document.js';
import { splitIntoUnits, type TextUnit } from './text-units.js';

export interface ChunkOptions {
  /** Upper bound of cl100k tokens per chunk (default 200). */
  maxTokens?: number;
  /** Tokens of whole sentences repeated from the end of the previous chunk (default 30). */
  overlapTokens?: number;
}

export interface Chunk {
  index: number;
  /** Exactly `parsed.text.slice(start, end)`. */
  text: string;
  start: number;
  end: number;
  headingPath: string[];
  tokenCount: number;
  /** The 1-based pages the chunk's text is on, ascending, for documents with pages (PDF). */
  pages?: number[];
}

export const defaultChunkOptions = { maxTokens: 200, overlapTokens: 30 } as const;

// A chunk closing early at a paragraph end must still be at least this full; otherwise it
// fills up to the last sentence that fits.
const paragraphBreakMinFill = 0.5;

/**
 * Cuts a parsed document into chunks for embedding and keyword search:
 * - never across sections, so each chunk has one heading path (a section that holds only
 *   its heading is joined to its first subsection instead of becoming a chunk of its own);
 * - on sentence boundaries, preferring paragraph ends; a sentence longer than `maxTokens` is
 *   cut at line breaks, then spaces, then anywhere;
 * - with an overlap of whole sentences, at most `overlapTokens`;
 * - `text` is an exact slice of `parsed.text`, trimmed of surrounding whitespace, and
 *   `tokenCount` (cl100k) never exceeds `maxTokens`.
 */
export function chunkDocument(parsed: ParsedDocument, options: ChunkOptions = {}): Chunk[] {
  const { maxTokens, overlapTokens } = validOptions(options);
  const chunks: Chunk[] = [];
  for (const section of mergeHeadingOnlySections(parsed.text, parsed.sections)) {
    const units = keepTablesWhole(
      parsed.text,
      splitIntoUnits(parsed.text, section.start, section.end, maxTokens),
      parsed.tables ?? [],
      maxTokens,
    );
    for (const span of packUnits(parsed.text, units, maxTokens, overlapTokens)) {
      const chunk: Chunk = {
        index: chunks.length,
        text: parsed.text.slice(span.start, span.end),
        start: span.start,
        end: span.end,
        headingPath: [...section.heading],
        tokenCount: span.tokens,
      };
      if (parsed.pages) chunk.pages = pagesOf(parsed.pages, span.start, span.end);
      chunks.push(chunk);
    }
  }
  return chunks;
}

/**
 * The units (rows) of a table that fits `maxTokens` become one unit, so no chunk boundary falls
 * inside it; a larger table stays cut between rows.
 */
function keepTablesWhole(text: string, units: TextUnit[], tables: TableSpan[], maxTokens: number): TextUnit[] {
  if (tables.length === 0 || units.length === 0) return units;
  const merged: TextUnit[] = [];
  let index = 0;
  while (index < units.length) {
    const unit = units[index] as TextUnit;
    const table = tables.find((candidate) => unit.start >= candidate.start && unit.end <= candidate.end);
    if (!table) {
      merged.push(unit);
      index += 1;
      continue;
    }
    let last = index;
    while (last + 1 < units.length && (units[last + 1] as TextUnit).end <= table.end) last += 1;
    const start = unit.start;
    const end = (units[last] as TextUnit).end;
    const tokens = last > index ? countTokens(text.slice(start, end)) : unit.tokens;
    if (tokens <= maxTokens) {
      merged.push({ start, end, tokens, paragraphStart: true });
    } else {
      merged.push(...tableRows(text, units.slice(index, last + 1), maxTokens));
    }
    index = last + 1;
  }
  return merged;
}

/**
 * A table too large for one chunk is cut between rows: each row (line) is one unit, unless it
 * alone is over `maxTokens`, when it keeps its sentence units.
 */
function tableRows(text: string, units: TextUnit[], maxTokens: number): TextUnit[] {
  const rows: TextUnit[] = [];
  let index = 0;
  while (index < units.length) {
    const first = units[index] as TextUnit;
    const lineEnd = text.indexOf('\n', first.start);
    const rowEnd = lineEnd === -1 ? Number.POSITIVE_INFINITY : lineEnd;
    let last = index;
    while (last + 1 < units.length && (units[last + 1] as TextUnit).end <= rowEnd) last += 1;
    const end = (units[last] as TextUnit).end;
    const tokens = last > index ? countTokens(text.slice(first.start, end)) : first.tokens;
    if (tokens <= maxTokens) rows.push({ start: first.start, end, tokens, paragraphStart: index === 0 });
    else rows.push(...units.slice(index, last + 1));
    index = last + 1;
  }
  return rows;
}

/** The pages `[start, end)` overlaps (binary search: pages are in order). */
function pagesOf(pages: PageSpan[], start: number, end: number): number[] {
  let low = 0;
  let high = pages.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((pages[middle] as PageSpan).end <= start) low = middle + 1;
    else high = middle;
  }
  const found: number[] = [];
  for (let index = low; index < pages.length; index += 1) {
    const page = pages[index] as PageSpan;
    if (page.start >= end) break;
    if (page.end > start) found.push(page.page);
  }
  return found;
}

function validOptions(options: ChunkOptions): { maxTokens: number; overlapTokens: number } {
  const maxTokens = options.maxTokens ?? defaultChunkOptions.maxTokens;
  const overlapTokens = options.overlapTokens ?? Math.min(defaultChunkOptions.overlapTokens, Math.floor(maxTokens / 4));
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new TextError(TextErrorCode.InvalidChunkOptions, `maxTokens must be a positive integer, got ${maxTokens}`);
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens >= maxTokens) {
    throw new TextError(
      TextErrorCode.InvalidChunkOptions,
      `overlapTokens must be an integer in [0, maxTokens), got ${overlapTokens} with maxTokens ${maxTokens}`,
    );
  }
  return { maxTokens, overlapTokens };
}

/**
 * A section that is only its heading line ("# Guide" directly followed by "## Install") would
 * be a chunk without content; it is joined to the next section when that one is its child.
 */
function mergeHeadingOnlySections(text: string, sections: DocumentSection[]): DocumentSection[] {
  const merged: DocumentSection[] = [];
  let pendingStart: number | undefined;
  sections.forEach((section, position) => {
    const next = sections[position + 1];
    const start = pendingStart ?? section.start;
    pendingStart = undefined;
    if (next && isHeadingOnly(text.slice(section.start, section.end)) && isChildOf(next.heading, section.heading)) {
      pendingStart = start;
      return;
    }
    merged.push({ heading: section.heading, start, end: section.end });
  });
  return merged;
}

function isHeadingOnly(sectionText: string): boolean {
  const lines = sectionText.trim().split('\n');
  // An ATX heading is one line; a setext heading is its title plus an underline of = or -.
  return lines.length === 1 || (lines.length === 2 && /^\s*(=+|-+)\s*$/.test(lines[1] ?? ''));
}

function isChildOf(child: string[], parent: string[]): boolean {
  return parent.length > 0 && child.length > parent.length && parent.every((title, i) => child[i] === title);
}

interface Span {
  start: number;
  end: number;
  tokens: number;
}

function packUnits(text: string, units: TextUnit[], maxTokens: number, overlapTokens: number): Span[] {
  const spans: Span[] = [];
  let first = 0;
  while (first < units.length) {
    let last = lastUnitThatFits(units, first, maxTokens);
    last = preferParagraphEnd(units, first, last, maxTokens);
    let span = measure(text, units, first, last);
    // Unit counts are summed as an estimate; BPE merges across the joins can differ by a
    // token or two, so the exact count decides.
    while (span.tokens > maxTokens && last > first) {
      last -= 1;
      span = measure(text, units, first, last);
    }
    spans.push(span);
    if (last === units.length - 1) break;
    first = overlapStart(units, first, last, overlapTokens, maxTokens);
  }
  return spans;
}

function lastUnitThatFits(units: TextUnit[], first: number, maxTokens: number): number {
  let last = first;
  let total = units[first]?.tokens ?? 0;
  while (last + 1 < units.length) {
    const next = units[last + 1]?.tokens ?? 0;
    if (total + next > maxTokens) break;
    total += next;
    last += 1;
  }
  return last;
}

/** When the chunk is full anyway, end it at the last paragraph end if that keeps it half full. */
function preferParagraphEnd(units: TextUnit[], first: number, last: number, maxTokens: number): number {
  if (last + 1 >= units.length || units[last + 1]?.paragraphStart) return last;
  let tokens = 0;
  let best = last;
  for (let i = first; i < last; i += 1) {
    tokens += units[i]?.tokens ?? 0;
    if (units[i + 1]?.paragraphStart && tokens >= maxTokens * paragraphBreakMinFill) best = i;
  }
  return best;
}

/**
 * The next chunk repeats the trailing whole sentences of this one, up to `overlapTokens`, but
 * never so many that the next new sentence would not fit beside them (a chunk of nothing but
 * overlap), and it always advances.
 */
function overlapStart(
  units: TextUnit[],
  first: number,
  last: number,
  overlapTokens: number,
  maxTokens: number,
): number {
  const budget = Math.min(overlapTokens, maxTokens - (units[last + 1]?.tokens ?? 0));
  let start = last + 1;
  let tokens = 0;
  while (start - 1 > first) {
    const previous = units[start - 1]?.tokens ?? 0;
    if (tokens + previous > budget) break;
    tokens += previous;
    start -= 1;
  }
  return start;
}

function measure(text: string, units: TextUnit[], first: number, last: number): Span {
  const start = units[first]?.start ?? 0;
  const end = units[last]?.end ?? start;
  return { start, end, tokens: countTokens(text.slice(start, end)) };
}
