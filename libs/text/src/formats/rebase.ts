/**
 * Moves a parsed document's spans (sections, pages, tables) onto an edited copy of its text, as
 * ingestion needs after the policy scan redacts a file's text: labels replace personal data, so
 * every offset after a redaction shifts. Each boundary is found again by the text that follows it
 * (or precedes it, at the end), searched forward from the previous boundary, so the cost stays
 * linear in practice; a boundary whose context was itself redacted lands where its neighbour did.
 */
import type { ParsedDocument } from '../parsed-document.js';

const CONTEXT = 24;

export function rebaseParsed<T extends ParsedDocument>(parsed: T, text: string): T {
  if (text === parsed.text) return parsed;
  const boundaries = new Set<number>();
  for (const span of [...parsed.sections, ...(parsed.pages ?? []), ...(parsed.tables ?? [])]) {
    boundaries.add(span.start);
    boundaries.add(span.end);
  }
  const mapped = new Map<number, number>();
  let cursor = 0;
  for (const offset of [...boundaries].sort((a, b) => a - b)) {
    cursor = locate(parsed.text, text, offset, cursor);
    mapped.set(offset, cursor);
  }
  const move = <S extends { start: number; end: number }>(span: S): S => ({
    ...span,
    start: mapped.get(span.start) ?? 0,
    end: mapped.get(span.end) ?? text.length,
  });
  const rebased: T = { ...parsed, text, sections: parsed.sections.map(move) };
  if (parsed.pages) rebased.pages = parsed.pages.map(move);
  if (parsed.tables) rebased.tables = parsed.tables.map(move);
  // The last section (and page) runs to the end of the new text, whatever was redacted in it.
  const lastSection = rebased.sections.at(-1);
  if (lastSection && lastSection.end === mapped.get(parsed.text.length)) lastSection.end = text.length;
  return rebased;
}

function locate(original: string, edited: string, offset: number, from: number): number {
  if (offset <= 0) return 0;
  if (offset >= original.length) return edited.length;
  const after = original.slice(offset, offset + CONTEXT);
  const found = edited.indexOf(after, from);
  if (found >= 0) return found;
  const before = original.slice(Math.max(0, offset - CONTEXT), offset);
  const foundBefore = edited.indexOf(before, Math.max(0, from - before.length));
  return foundBefore >= 0 ? foundBefore + before.length : from;
}
