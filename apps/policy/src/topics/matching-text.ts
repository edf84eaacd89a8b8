/**
 * The form of a text that topic phrases are matched against: NFKC-normalised (full-width and
 * compatibility characters fold to their plain forms), lowercased, with invisible format
 * characters (zero-width spaces and joiners, soft hyphens...) removed so they cannot split a
 * phrase. Every character of the result remembers the span of the original it came from, so
 * matches are reported at the offsets of the text as received.
 *
 * Linear in the text, and cheap where nothing changes but case: runs of ASCII, and runs of other
 * characters that normalisation leaves as they are, map one to one, so only the characters that
 * do change (compatibility forms, combining sequences, format characters) cost a segment each.
 * A document of a few megabytes is read in a fraction of a second.
 */

export interface MatchingText {
  text: string;
  /** The original span of the normalised range [start, end). */
  originalSpan(start: number, end: number): { start: number; end: number };
}

// ASCII not followed by a combining mark (which would compose with its last character), or a run
// of base characters with their combining marks, or marks on their own.
const piece = /\p{ASCII}+(?!\p{M})|(?:\P{M}\p{M}*)+?(?=\p{ASCII}|$)|\p{M}+/gu;
// A base character with its combining marks, so composition (e + ◌́ → é) happens within one unit.
const cluster = /\P{M}\p{M}*|\p{M}+/gu;
const formatCharacter = /^\p{Cf}+$/u;
const hasFormatCharacter = /\p{Cf}/u;
const nonAscii = /\P{ASCII}/u;

/**
 * Normalised text built in segments: each maps a normalised range to an original one, either
 * character by character (`oneToOne`) or every normalised character to the whole original range.
 */
class SegmentedText {
  text = '';
  private readonly parts: string[] = [];
  private length = 0;
  private readonly normalisedStarts: number[] = [];
  private readonly originalStarts: number[] = [];
  private readonly originalEnds: number[] = [];
  private readonly oneToOne: boolean[] = [];

  add(normalised: string, originalStart: number, originalEnd: number, oneToOne: boolean): void {
    if (normalised.length === 0) return;
    this.normalisedStarts.push(this.length);
    this.originalStarts.push(originalStart);
    this.originalEnds.push(originalEnd);
    this.oneToOne.push(oneToOne);
    this.parts.push(normalised);
    this.length += normalised.length;
  }

  finish(original: string): MatchingText {
    this.text = this.parts.join('');
    const segmentOf = (index: number): number => {
      let low = 0;
      let high = this.normalisedStarts.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if ((this.normalisedStarts[middle] as number) <= index) low = middle;
        else high = middle - 1;
      }
      return low;
    };
    const startOf = (index: number): number => {
      if (index < 0 || index >= this.length) return original.length;
      const segment = segmentOf(index);
      const originalStart = this.originalStarts[segment] as number;
      return this.oneToOne[segment]
        ? originalStart + index - (this.normalisedStarts[segment] as number)
        : originalStart;
    };
    const endOf = (index: number): number => {
      if (index < 0 || index >= this.length) return original.length;
      const segment = segmentOf(index);
      return this.oneToOne[segment]
        ? (this.originalStarts[segment] as number) + index - (this.normalisedStarts[segment] as number) + 1
        : (this.originalEnds[segment] as number);
    };
    return { text: this.text, originalSpan: (start, end) => ({ start: startOf(start), end: endOf(end - 1) }) };
  }
}

export function toMatchingText(original: string): MatchingText {
  const built = new SegmentedText();
  for (const match of original.matchAll(piece)) {
    const run = match[0];
    const start = match.index;
    if (!nonAscii.test(run)) {
      // NFKC leaves ASCII as it is, and ASCII lowercases character for character.
      built.add(run.toLowerCase(), start, start + run.length, true);
      continue;
    }
    if (!hasFormatCharacter.test(run) && run.normalize('NFKC') === run) {
      const lowered = run.toLowerCase();
      // Nothing but case changes, character for character: one segment for the whole run.
      if (lowered.length === run.length) {
        built.add(lowered, start, start + run.length, true);
        continue;
      }
    }
    for (const unit of run.matchAll(cluster)) {
      if (formatCharacter.test(unit[0])) continue;
      const unitStart = start + unit.index;
      built.add(normaliseFragment(unit[0]), unitStart, unitStart + unit[0].length, false);
    }
  }
  return built.finish(original);
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
