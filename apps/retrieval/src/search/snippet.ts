/**
 * The snippet of a hit: a short window of its text around the query's terms, with the positions of
 * those terms. Terms match as keyword search matches them (`tokenizeForSearch`: case, accents and
 * compatibility forms folded, stopwords ignored), so what is marked is what BM25 scored.
 */
import { tokenizeForSearch } from '@keel/text';

export const SNIPPET_LENGTH = 240;
/** How far before the first term of the window the snippet starts. */
const LEAD = 60;
const ELLIPSIS = '…';

export interface TextRange {
  start: number;
  end: number;
}

export interface Snippet {
  text: string;
  /** [start, end) in UTF-16 code units of `text`, in order, not overlapping. */
  highlights: TextRange[];
}

const wordPattern = /[\p{L}\p{M}\p{N}]+/gu;

/** The query's terms, once per search. */
export function queryTerms(query: string): ReadonlySet<string> {
  return new Set(tokenizeForSearch(query));
}

export function snippetOf(text: string, terms: ReadonlySet<string>, length = SNIPPET_LENGTH): Snippet {
  const matches = termMatches(text, terms);
  const start = windowStart(text, matches, length);
  let end = Math.min(text.length, start + length);
  // Whole words at the end: back up to the last break inside the window, when there is one.
  if (end < text.length) {
    const lastBreak = text.slice(start, end).search(/\s\S*$/);
    if (lastBreak > 0) end = start + lastBreak;
  }
  const prefix = start > 0 ? ELLIPSIS : '';
  const body = text.slice(start, end).trim();
  const bodyStart = start + text.slice(start, end).indexOf(body);
  const suffix = end < text.length ? ELLIPSIS : '';
  const highlights = matches
    .filter((match) => match.start >= bodyStart && match.end <= bodyStart + body.length)
    .map((match) => ({
      start: match.start - bodyStart + prefix.length,
      end: match.end - bodyStart + prefix.length,
    }));
  return { text: `${prefix}${body}${suffix}`, highlights };
}

interface TermMatch extends TextRange {
  term: string;
}

function termMatches(text: string, terms: ReadonlySet<string>): TermMatch[] {
  if (terms.size === 0) return [];
  const matches: TermMatch[] = [];
  for (const word of text.matchAll(wordPattern)) {
    const term = tokenizeForSearch(word[0]).find((candidate) => terms.has(candidate));
    if (term !== undefined) matches.push({ start: word.index, end: word.index + word[0].length, term });
  }
  return matches;
}

/**
 * Where the window starts: before the run of matches holding the most distinct terms (then the
 * most matches), at a word boundary; the text's start when nothing matches or all of it fits.
 */
function windowStart(text: string, matches: readonly TermMatch[], length: number): number {
  if (text.length <= length || matches.length === 0) return 0;
  let best = { first: 0, distinct: 0, count: 0 };
  for (let first = 0; first < matches.length; first++) {
    const from = (matches[first] as TermMatch).start;
    const inWindow = matches.slice(first).filter((match) => match.end <= from - LEAD + length);
    const distinct = new Set(inWindow.map((match) => match.term)).size;
    if (distinct > best.distinct || (distinct === best.distinct && inWindow.length > best.count)) {
      best = { first, distinct, count: inWindow.length };
    }
  }
  const anchor = Math.max(0, (matches[best.first] as TermMatch).start - LEAD);
  if (anchor === 0) return 0;
  // Start on a word: after the nearest whitespace at or after the anchor (before the first match).
  const firstMatch = (matches[best.first] as TermMatch).start;
  const gap = text.slice(anchor, firstMatch).search(/\s/);
  return gap < 0 ? firstMatch : anchor + gap + 1;
}
