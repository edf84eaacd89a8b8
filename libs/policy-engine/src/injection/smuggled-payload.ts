/**
 * Injections a linear model over n-grams cannot read because they are hidden by construction:
 *  - token smuggling: a base64 or hex run, or the whole text read as rot13, backwards, in
 *    leetspeak or with its letters spaced out, that decodes to an instruction cue;
 *  - a word repeated dozens of times in a row (the repeated-token attacks that flood the context).
 *
 * What counts as an instruction cue is handed in (`hasCue`): injection-detector.ts passes its own
 * strong cues, so a decoded payload is held to the same standard as plain text. The whole-text
 * rewrites (rot13, reversed, leetspeak) only count when the text as written has no cue: plain
 * "ignore previous instructions" is the plain cues' business.
 *
 * Every step is linear in the text: the runs are found by patterns whose repetitions cannot split
 * a run two ways, and at most 16 KB of a run, or of the whole text, is decoded and read for cues.
 */

export interface SmuggledSpan {
  family: 'encoded' | 'repeated';
  start: number;
  end: number;
}

/** Whether a decoded text carries an instruction cue (a strong heuristic cue). */
export type CueTest = (decoded: string) => boolean;

const hexRun = /(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){12,}(?![0-9A-Fa-f])/g;
// Six or more single letters between separators (`i g n o r e`, `i-g-n-o-r-e`); the shortest gap
// joins letters of a word, a longer one is a word break.
// ASCII only, like the cues it must reveal (and several times cheaper than letter classes).
const spacedRun = /(?<![A-Za-z0-9])[A-Za-z](?:[ .\-_*]{1,6}[A-Za-z](?![A-Za-z0-9])){5,}/g;
const gap = /[ .\-_*]+/g;
// Words, and what may separate two copies of a repeated word.
const word = /[\p{L}\p{M}]+/gu;
const repeatGap = /^[\s,.;:!?\-_*]{1,4}$/;
const repeats = 64;
// Words of plain English prose; a text of some length with almost none is read as rot13 or backwards.
const commonWord =
  /\b(?:the|and|to|of|a|an|is|are|you|i|in|it|for|that|this|what|how|me|my|your|be|with|on|do|can|please)\b/gi;
const leetInWord = /[a-z][0134579@$]+[a-z]/gi;
// Mostly printable text: what a smuggled instruction decodes to, unlike random bytes or a hash.
const printable = /^[\p{L}\p{N}\p{P}\p{Zs}\n\r\t$+<=>^`|~]*$/u;
const rewriteLimit = 16_384;
const leet: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '9': 'g',
  '@': 'a',
  $: 's',
};

function decodeBase64(run: string): string | undefined {
  if (!/[a-z]/.test(run) || !/[A-Z0-9]/.test(run)) return undefined;
  const padded = run.length % 4 === 0 ? run : run.replace(/=+$/, '').padEnd(Math.ceil(run.length / 4) * 4, '=');
  try {
    const text = Buffer.from(padded, 'base64').toString('utf8');
    return printable.test(text) && /[\p{L}]{3}/u.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

function decodeHex(run: string): string | undefined {
  const text = Buffer.from(run.replace(/[ :]/g, ''), 'hex').toString('utf8');
  return printable.test(text) && /[\p{L}]{3}/u.test(text) ? text : undefined;
}

const rot13 = (text: string) =>
  text.replace(/[a-zA-Z]/g, (character) => {
    const base = character <= 'Z' ? 65 : 97;
    return String.fromCharCode(((character.charCodeAt(0) - base + 13) % 26) + base);
  });

const reversed = (text: string) => [...text].reverse().join('');

const unLeet = (text: string) => text.replace(/[0134579@$]/g, (character) => leet[character] as string);

/** Whether `pattern` (global) matches at least `enough` times; stops reading once it does. */
function countUpTo(text: string, pattern: RegExp, enough: number): boolean {
  let found = 0;
  for (const _ of text.matchAll(pattern)) {
    found += 1;
    if (found >= enough) return true;
  }
  return false;
}

/** Spans (offsets of `original`) of base64, hex, spaced-out, rot13, reversed or leetspeak instructions. */
function asciiSet(characters: string): Uint8Array {
  const set = new Uint8Array(128);
  for (const character of characters) set[character.charCodeAt(0)] = 1;
  return set;
}

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const base64Characters = asciiSet(`${letters}0123456789+/`);
const hexCharacters = asciiSet('0123456789ABCDEFabcdef :');

const inSet = (set: Uint8Array, code: number) => code < 128 && set[code] === 1;

/**
 * Whether the text has `least` characters of the set in a row: one pass over character codes
 * that tells most texts apart from the run patterns, whose lookarounds cost ten times more.
 */
function hasRun(text: string, set: Uint8Array, least: number): boolean {
  let run = 0;
  for (let index = 0; index < text.length; index++) {
    run = inSet(set, text.charCodeAt(index)) ? run + 1 : 0;
    if (run >= least) return true;
  }
  return false;
}

/** Whether the text has `least` characters of the base64 alphabet in a row. */
export const hasBase64Run = (text: string, least: number) => hasRun(text, base64Characters, least);

/**
 * Base64 runs: at least 16 characters of the alphabet between characters that are not, then up to
 * two `=` not followed by another (a longer run of `=` is no padding, and not a run).
 */
function* base64Runs(text: string): Generator<{ start: number; end: number }> {
  let index = 0;
  while (index < text.length) {
    if (!inSet(base64Characters, text.charCodeAt(index))) {
      index++;
      continue;
    }
    const start = index;
    while (index < text.length && inSet(base64Characters, text.charCodeAt(index))) index++;
    let end = index;
    while (end < text.length && end - index < 2 && text[end] === '=') end++;
    if (end - start - (end - index) >= 16 && text[end] !== '=') yield { start, end };
    index = end;
  }
}

export function findEncodedInstructions(
  original: string,
  hasCue: CueTest,
  /** Whether the text as written has a cue, when the caller knows (a pass of the cues saved). */
  plainHasCue?: boolean,
): SmuggledSpan[] {
  const spans: SmuggledSpan[] = [];
  const encoded = (start: number, end: number) => spans.push({ family: 'encoded', start, end });
  for (const run of base64Runs(original)) {
    const decoded = decodeBase64(original.slice(run.start, Math.min(run.end, run.start + rewriteLimit)));
    if (decoded !== undefined && hasCue(decoded)) encoded(run.start, run.end);
  }
  // Twelve pairs with or without separators: at least 24 characters of the set in a row.
  for (const match of hasRun(original, hexCharacters, 24) ? original.matchAll(hexRun) : []) {
    const run = match[0].trimEnd();
    const decoded = decodeHex(run.slice(0, rewriteLimit));
    if (decoded !== undefined && hasCue(decoded)) encoded(match.index, match.index + run.length);
  }
  for (const match of original.matchAll(spacedRun)) {
    const run = match[0].slice(0, rewriteLimit);
    const shortest = [...run.matchAll(gap)].reduce((least, found) => Math.min(least, found[0].length), Infinity);
    const words = run.replace(gap, (found) => (found.length > shortest ? ' ' : ''));
    if (hasCue(words)) encoded(match.index, match.index + match[0].length);
  }
  // Whole-text rewrites, for a text whose plain form has no cue of its own. A smuggled prompt is
  // short; longer texts skip them (they cost three more passes of the cues) and are left to the
  // classifier and the runs above.
  // Each rewrite is read only when the text looks like it: leetspeak when words mix letters and
  // digits, rot13 and reversal when the text has words but hardly any of plain English's.
  if (spans.length === 0 && original.length <= rewriteLimit) {
    const rewrites: string[] = [];
    // Leetspeak when at least one word in twenty (about 120 characters) mixes letters and digits:
    // a text with a few ids or keys in it (`K7M`, `b2b`) is not rewritten for them.
    if (countUpTo(original, leetInWord, Math.max(2, original.length / 120))) rewrites.push(unLeet(original));
    // About one word in ten of English prose is a common one, and a word takes about six characters.
    if (original.length >= 12 && !countUpTo(original, commonWord, original.length / 60)) {
      rewrites.push(rot13(original), reversed(original));
    }
    if (rewrites.length > 0 && !(plainHasCue ?? hasCue(original)) && rewrites.some(hasCue)) encoded(0, original.length);
  }
  return spans;
}

// The precheck splits on ASCII characters other than letters (a Unicode property class costs six
// times more): every letter or mark of `word` is kept in a piece, and every gap `repeatGap` allows
// splits, so the inner copies of a repeated run are whole pieces and only the two at its ends can
// merge with a neighbour.
const asciiNonLetters = /[^A-Za-z\u0080-\uffff]+/;

/** Whether some piece of the text comes `repeats - 2` times in a row: no run, no scan with offsets. */
function mayRepeat(matching: string): boolean {
  if (matching.length < repeats * 2) return false;
  const pieces = matching.split(asciiNonLetters);
  let count = 1;
  for (let index = 1; index < pieces.length; index++) {
    count = pieces[index] !== '' && pieces[index] === pieces[index - 1] ? count + 1 : 1;
    if (count >= repeats - 2) return true;
  }
  return false;
}

/** Spans (offsets of the matching text given) of a word repeated 64 or more times in a row. */
export function findRepeatedTokens(matching: string): SmuggledSpan[] {
  if (!mayRepeat(matching)) return [];
  const spans: SmuggledSpan[] = [];
  let previous = '';
  let previousEnd = 0;
  let runStart = 0;
  let count = 0;
  const close = () => {
    if (count >= repeats) spans.push({ family: 'repeated', start: runStart, end: previousEnd });
  };
  for (const match of matching.matchAll(word)) {
    const copy = match[0] === previous && repeatGap.test(matching.slice(previousEnd, match.index));
    if (copy) count += 1;
    else {
      close();
      runStart = match.index;
      count = 1;
    }
    previous = match[0];
    previousEnd = match.index + match[0].length;
  }
  close();
  return spans;
}
