/**
 * The form of a text that topic phrases are matched against: NFKC-normalised (full-width and
 * compatibility characters fold to their plain forms), lowercased, with invisible format
 * characters (zero-width spaces and joiners, soft hyphens...) removed so they cannot split a
 * phrase. Every character of the result remembers the span of the original it came from, so
 * matches are reported at the offsets of the text as received.
 */

export interface MatchingText {
  text: string;
  /** The original span of the normalised range [start, end). */
  originalSpan(start: number, end: number): { start: number; end: number };
}

// A base character with its combining marks, so composition (e + ◌́ → é) happens within one unit.
const cluster = /\P{M}\p{M}*|\p{M}+/gu;
const formatCharacter = /^\p{Cf}+$/u;

export function toMatchingText(original: string): MatchingText {
  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (const match of original.matchAll(cluster)) {
    if (formatCharacter.test(match[0])) continue;
    const normalised = normaliseFragment(match[0]);
    const end = match.index + match[0].length;
    for (let index = 0; index < normalised.length; index++) {
      starts.push(match.index);
      ends.push(end);
    }
    text += normalised;
  }
  return {
    text,
    originalSpan(start, end) {
      return { start: starts[start] ?? original.length, end: ends[end - 1] ?? original.length };
    },
  };
}

/** Normalises a phrase the way `toMatchingText` normalises text, collapsing whitespace too. */
export function normalisePhrase(phrase: string): string {
  return normaliseFragment(phrase.replace(/\p{Cf}/gu, ''))
    .replace(/\s+/g, ' ')
    .trim();
}

function normaliseFragment(fragment: string): string {
  return fragment.normalize('NFKC').toLowerCase();
}
