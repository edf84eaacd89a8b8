import { countTokens } from './count-tokens.js';
import { sentenceSpans } from './sentence-spans.js';

/** A trimmed span of the document (sentence, line or fragment) that chunks are built from. */
export interface TextUnit {
  start: number;
  end: number;
  tokens: number;
  /** The unit opens a paragraph: the preferred place for a chunk to begin. */
  paragraphStart: boolean;
}

const paragraphBreak = /\n[ \t]*\n/g;

/**
 * Splits `text[start, end)` into paragraphs (blank-line separated), paragraphs into sentences
 * (see `sentenceSpans`: they also end at line breaks, so list items and code lines stay
 * whole), and any sentence longer than `maxTokens` at spaces, then anywhere. Every unit is trimmed of surrounding whitespace and fits `maxTokens`.
 */
export function splitIntoUnits(text: string, start: number, end: number, maxTokens: number): TextUnit[] {
  const units: TextUnit[] = [];
  for (const paragraph of paragraphs(text, start, end)) {
    let first = true;
    for (const sentence of sentenceSpans(text, paragraph.start, paragraph.end)) {
      const span = trimSpan(text, sentence.start, sentence.end);
      if (!span) continue;
      for (const piece of fitSpan(text, span.start, span.end, maxTokens)) {
        units.push({ ...piece, paragraphStart: first });
        first = false;
      }
    }
  }
  return units;
}

function paragraphs(text: string, start: number, end: number): { start: number; end: number }[] {
  const body = text.slice(start, end);
  const spans: { start: number; end: number }[] = [];
  let cursor = 0;
  for (const separator of body.matchAll(paragraphBreak)) {
    spans.push({ start: start + cursor, end: start + separator.index });
    cursor = separator.index + separator[0].length;
  }
  spans.push({ start: start + cursor, end });
  return spans.flatMap((span) => trimSpan(text, span.start, span.end) ?? []);
}

function trimSpan(text: string, start: number, end: number): { start: number; end: number } | undefined {
  let from = start;
  let to = end;
  while (from < to && isSpace(text.charCodeAt(from))) from += 1;
  while (to > from && isSpace(text.charCodeAt(to - 1))) to -= 1;
  return from < to ? { start: from, end: to } : undefined;
}

function isSpace(code: number): boolean {
  return (
    code === 0x20 ||
    code === 0x0a ||
    code === 0x09 ||
    code === 0x0d ||
    code === 0x0c ||
    code === 0x0b ||
    code === 0xa0 ||
    code === 0x3000
  );
}

/** Breaks a span that exceeds `maxTokens` at spaces, or anywhere when it has none. */
function fitSpan(text: string, start: number, end: number, maxTokens: number): Omit<TextUnit, 'paragraphStart'>[] {
  const tokens = countTokens(text.slice(start, end));
  if (tokens <= maxTokens) return [{ start, end, tokens }];
  // Sentences never hold a line break, so spaces are the coarsest separator left.
  const words = splitAt(text, start, end, /\s+/g);
  if (words.length > 1) return packPieces(text, words, maxTokens);
  return splitAnywhere(text, start, end, maxTokens);
}

function splitAt(text: string, start: number, end: number, separator: RegExp): { start: number; end: number }[] {
  const body = text.slice(start, end);
  const pieces: { start: number; end: number }[] = [];
  let cursor = 0;
  for (const match of body.matchAll(separator)) {
    const span = trimSpan(text, start + cursor, start + match.index);
    if (span) pieces.push(span);
    cursor = match.index + match[0].length;
  }
  const last = trimSpan(text, start + cursor, end);
  if (last) pieces.push(last);
  return pieces;
}

/** Groups consecutive pieces greedily into spans that fit; a piece that alone is too long recurses. */
function packPieces(
  text: string,
  pieces: { start: number; end: number }[],
  maxTokens: number,
): Omit<TextUnit, 'paragraphStart'>[] {
  const out: Omit<TextUnit, 'paragraphStart'>[] = [];
  let group: { start: number; end: number; tokens: number } | undefined;
  for (const piece of pieces) {
    const merged = group && {
      start: group.start,
      end: piece.end,
      tokens: countTokens(text.slice(group.start, piece.end)),
    };
    if (merged && merged.tokens <= maxTokens) {
      group = merged;
      continue;
    }
    if (group) out.push(group);
    const fitted = fitSpan(text, piece.start, piece.end, maxTokens);
    group = fitted.pop();
    out.push(...fitted);
  }
  if (group) out.push(group);
  return out;
}

/** Last resort for a run without separators (a base64 blob, a long URL): binary search on length. */
function splitAnywhere(
  text: string,
  start: number,
  end: number,
  maxTokens: number,
): Omit<TextUnit, 'paragraphStart'>[] {
  const out: Omit<TextUnit, 'paragraphStart'>[] = [];
  let from = start;
  while (from < end) {
    let low = from + 1;
    // A cl100k token spans far fewer than 32 characters in practice: bounding the window keeps
    // this linear in the length of the run instead of quadratic.
    let high = Math.min(end, from + maxTokens * 32);
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (countTokens(text.slice(from, middle)) <= maxTokens) low = middle;
      else high = middle - 1;
    }
    let to = low;
    // Never cut a surrogate pair in half: the chunk text must stay valid UTF-16.
    if (to < end && isHighSurrogate(text.charCodeAt(to - 1))) to += to - 1 > from ? -1 : 1;
    out.push({ start: from, end: to, tokens: countTokens(text.slice(from, to)) });
    from = to;
  }
  return out;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
