/**
 * Citation markers in an answer ("… as the policy says [2].") and the passages they point at. The
 * answer is split into text and marker segments so markers render as buttons (never as HTML built
 * from strings); a marker's citation names a chunk, and its quote is found inside that chunk's text
 * so the cited words themselves can be highlighted, not just the passage.
 */
import type { Citation, ContextChunk } from '../api/types';

export type AnswerSegment = { kind: 'text'; text: string } | { kind: 'marker'; marker: number; text: string };

// [1], [12], also the [1, 2] and [1][2] forms; a bracket with anything else is prose.
const MARKERS = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g;

export function splitAnswer(answer: string): AnswerSegment[] {
  const segments: AnswerSegment[] = [];
  let last = 0;
  for (const match of answer.matchAll(MARKERS)) {
    const start = match.index ?? 0;
    if (start > last) segments.push({ kind: 'text', text: answer.slice(last, start) });
    const numbers = (match[1] ?? '').split(',').map((part) => Number(part.trim()));
    numbers.forEach((marker, index) => {
      segments.push({ kind: 'marker', marker, text: numbers.length === 1 ? match[0] : `[${marker}]` });
      if (index < numbers.length - 1) segments.push({ kind: 'text', text: ' ' });
    });
    last = start + match[0].length;
  }
  if (last < answer.length) segments.push({ kind: 'text', text: answer.slice(last) });
  return segments;
}

/** The distinct markers of an answer in reading order: what j/k walk through. */
export function markersOf(answer: string): number[] {
  const seen: number[] = [];
  for (const segment of splitAnswer(answer)) {
    if (segment.kind === 'marker' && !seen.includes(segment.marker)) seen.push(segment.marker);
  }
  return seen;
}

/**
 * The citation behind marker n: the one that says so (`marker`), else — for producers that leave
 * `marker` 0 — the n-th citation, the usual numbering of a sources list.
 */
export function citationFor(marker: number, citations: readonly Citation[]): Citation | undefined {
  const explicit = citations.find((citation) => citation.marker === marker);
  if (explicit) return explicit;
  if (citations.some((citation) => (citation.marker ?? 0) > 0)) return undefined;
  return citations[marker - 1];
}

export interface Highlight {
  chunkId: string;
  /** Character range within the chunk's text; the whole chunk when the quote is not found in it. */
  start: number;
  end: number;
  /** False when the citation had a quote that the passage does not contain (worth a reviewer's look). */
  quoteFound: boolean;
}

/** Where the citation's quote sits in its passage, tolerant of differences in whitespace and case. */
export function locateQuote(citation: Citation, contexts: readonly ContextChunk[]): Highlight | undefined {
  const chunk = contexts.find((context) => context.chunkId === citation.chunkId);
  if (!chunk) return undefined;
  const whole = { chunkId: chunk.chunkId, start: 0, end: chunk.text.length };
  const quote = citation.quote?.trim();
  if (!quote) return { ...whole, quoteFound: true };
  const exact = chunk.text.indexOf(quote);
  if (exact >= 0) return { chunkId: chunk.chunkId, start: exact, end: exact + quote.length, quoteFound: true };
  const loose = findLoosely(chunk.text, quote);
  return loose ? { chunkId: chunk.chunkId, ...loose, quoteFound: true } : { ...whole, quoteFound: false };
}

/** Finds `quote` in `text` ignoring case and runs of whitespace; the range is in `text`'s own offsets. */
function findLoosely(text: string, quote: string): { start: number; end: number } | undefined {
  const folded: string[] = [];
  const offsets: number[] = [];
  let inSpace = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? '';
    if (/\s/.test(char)) {
      if (inSpace) continue;
      inSpace = true;
      folded.push(' ');
    } else {
      inSpace = false;
      // One character in, one out, so offsets stay aligned (a few letters lower-case to two).
      const lower = char.toLowerCase();
      folded.push(lower.length === 1 ? lower : char);
    }
    offsets.push(index);
  }
  const needle = quote.replace(/\s+/g, ' ').toLowerCase();
  const at = folded.join('').indexOf(needle);
  if (at < 0) return undefined;
  const start = offsets[at] ?? 0;
  const endIndex = offsets[at + needle.length - 1] ?? start;
  return { start, end: endIndex + 1 };
}

/** A text cut into the part before, inside and after a range, for rendering with a <mark>. */
export function cut(text: string, start: number, end: number): [string, string, string] {
  const from = Math.max(0, Math.min(start, text.length));
  const to = Math.max(from, Math.min(end, text.length));
  return [text.slice(0, from), text.slice(from, to), text.slice(to)];
}
