/**
 * The form of a text that every detector and topic matcher reads, with offsets that map back to
 * the text as received:
 *  - NFKC: full-width and compatibility characters fold to their plain forms (`ｂｏｍｂ`, `４１１１`);
 *  - confusables folded to their Latin look-alikes (Cyrillic `а` → `a`; see confusables.ts);
 *  - invisible characters removed: format characters (`\p{Cf}`: zero-width spaces and joiners,
 *    soft hyphens, every bidirectional control), variation selectors, the combining grapheme
 *    joiner and the Hangul fillers, so none of them can split a word, a number or a key;
 *  - digits of every script read as ASCII digits (`\p{Nd}`: Arabic-Indic `٤` → `4`);
 *  - for topics only, lowercased (`toMatchingText`); detectors see case (`toDetectionText`),
 *    because secrets and IBANs are case-sensitive.
 *
 * Linear in the text, and cheap where nothing changes: runs of ASCII, and runs of other
 * characters that normalisation leaves as they are, map one to one, so only the characters that
 * do change (compatibility forms, confusables, digits, combining sequences, invisible characters)
 * cost a segment each. A document of a few megabytes is read in a fraction of a second, and an
 * ASCII text is returned as it is.
 */
import { confusableCharacters, confusableClass } from './confusables.js';

export interface MatchingText {
  text: string;
  /** True when `text` is the original itself: offsets need no mapping. */
  identity: boolean;
  /** The original span of the normalised range [start, end). */
  originalSpan(start: number, end: number): { start: number; end: number };
}

// ASCII not followed by a combining mark (which would compose with its last character), or a run
// of base characters with their combining marks, or marks on their own.
const piece = /\p{ASCII}+(?!\p{M})|(?:\P{M}\p{M}*)+?(?=\p{ASCII}|$)|\p{M}+/gu;
// A base character with its combining marks, so composition (e + ◌́ → é) happens within one unit.
const cluster = /\P{M}\p{M}*|\p{M}+/gu;
const invisibles = '\\p{Cf}\\u034f\\ufe00-\\ufe0f\\u115f\\u1160\\u3164\\uffa0';
const invisibleUnit = new RegExp(`^[${invisibles}]+$`, 'u');
const invisibleCharacters = new RegExp(`[${invisibles}]`, 'gu');
const needsFolding = new RegExp(`[${invisibles}]|${confusableClass}|(?![0-9])\\p{Nd}`, 'u');
const confusableOrDigit = new RegExp(`${confusableClass}|(?![0-9])\\p{Nd}`, 'gu');
const decimalDigit = /^\p{Nd}$/u;
const asciiOnly = /^\p{ASCII}*$/u;

/**
 * Normalised text built in segments: each maps a normalised range to an original one, either
 * character by character (`oneToOne`) or every normalised character to the whole original range.
 */
class SegmentedText {
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
    const text = this.parts.join('');
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
    return {
      text,
      identity: text === original,
      originalSpan: (start, end) => ({ start: startOf(start), end: endOf(end - 1) }),
    };
  }
}

const identityOf = (original: string): MatchingText => ({
  text: original,
  identity: true,
  originalSpan: (start, end) => ({ start, end }),
});

/** The form detectors read: normalised, case kept. */
export function toDetectionText(original: string): MatchingText {
  if (asciiOnly.test(original)) return identityOf(original);
  return normalise(original, false);
}

/** The form topic phrases are matched against: normalised and lowercased. */
export function toMatchingText(original: string): MatchingText {
  return normalise(original, true);
}

function normalise(original: string, lowercase: boolean): MatchingText {
  const built = new SegmentedText();
  for (const match of original.matchAll(piece)) {
    const run = match[0];
    const start = match.index;
    if (asciiOnly.test(run)) {
      // NFKC leaves ASCII as it is, and ASCII lowercases character for character.
      built.add(lowercase ? run.toLowerCase() : run, start, start + run.length, true);
      continue;
    }
    if (!needsFolding.test(run) && run.normalize('NFKC') === run) {
      const cased = lowercase ? run.toLowerCase() : run;
      // Nothing but case changes, character for character: one segment for the whole run.
      if (cased.length === run.length) {
        built.add(cased, start, start + run.length, true);
        continue;
      }
    }
    for (const unit of run.matchAll(cluster)) {
      if (invisibleUnit.test(unit[0])) continue;
      const unitStart = start + unit.index;
      built.add(foldFragment(unit[0], lowercase), unitStart, unitStart + unit[0].length, false);
    }
  }
  return built.finish(original);
}

/** Normalises a phrase the way `toMatchingText` normalises text, collapsing whitespace too. */
export function normalisePhrase(phrase: string): string {
  return foldFragment(phrase, true).replace(/\s+/g, ' ').trim();
}

/** One fragment's normal form: invisibles out, NFKC, confusables and digits folded, maybe lowercased. */
export function foldFragment(fragment: string, lowercase: boolean): string {
  const folded = fragment
    .replace(invisibleCharacters, '')
    .normalize('NFKC')
    .replace(confusableOrDigit, (character) => confusableCharacters.get(character) ?? digitOf(character));
  return lowercase ? folded.toLowerCase() : folded;
}

const digitCache = new Map<string, string>();

/**
 * The value of a decimal digit of any script. Unicode encodes every script's digits 0-9 as a
 * contiguous run in order (the mathematical digits as five runs back to back), so the value is
 * the distance from the start of the run, modulo 10.
 */
export function digitOf(character: string): string {
  const cached = digitCache.get(character);
  if (cached !== undefined) return cached;
  const codePoint = character.codePointAt(0) as number;
  let first = codePoint;
  while (first > 0 && decimalDigit.test(String.fromCodePoint(first - 1))) first--;
  const digit = String((codePoint - first) % 10);
  digitCache.set(character, digit);
  return digit;
}
