// Abbreviations whose trailing dot does not end a sentence (lowercased, without the dot).
const abbreviations = new Set([
  'al',
  'approx',
  'ca',
  'cf',
  'co',
  'corp',
  'dept',
  'dr',
  'e.g',
  'eq',
  'eqs',
  'est',
  'etc',
  'fig',
  'figs',
  'i.e',
  'inc',
  'jr',
  'ltd',
  'mr',
  'mrs',
  'ms',
  'no',
  'nos',
  'p',
  'pp',
  'prof',
  'ref',
  'refs',
  'sec',
  'sr',
  'st',
  'vol',
  'vs',
]);

// A run of terminal punctuation with any closing quotes or brackets, followed by whitespace;
// or a line break (list items, table rows and code lines are units of their own).
const boundary = /[.!?…]+["'”’)\]]*(?=\s)|\n/g;

/**
 * Sentence spans of `text[start, end)`, in order, covering it without gaps (whitespace stays
 * with the preceding sentence; callers trim). Linear in the length of the text: a regular
 * expression with a short abbreviation list, not Intl.Segmenter, whose V8 implementation
 * copies the whole input for every segment (quadratic time, and out of memory on a 1.5 MB
 * string here).
 */
export function sentenceSpans(text: string, start: number, end: number): { start: number; end: number }[] {
  const body = text.slice(start, end);
  const spans: { start: number; end: number }[] = [];
  let cursor = 0;
  for (const match of body.matchAll(boundary)) {
    // Already inside the whitespace the previous boundary absorbed.
    if (match.index < cursor) continue;
    if (match[0] !== '\n' && !endsSentence(body, match.index)) continue;
    let stop = match.index + match[0].length;
    while (stop < body.length && /\s/.test(body[stop] ?? '')) stop += 1;
    spans.push({ start: start + cursor, end: start + stop });
    cursor = stop;
  }
  if (cursor < body.length) spans.push({ start: start + cursor, end });
  return spans;
}

/** Whether the punctuation at `at` ends a sentence rather than an abbreviation or an initial. */
function endsSentence(body: string, at: number): boolean {
  if (body[at] !== '.') return true;
  const word = /[\p{L}.]+$/u.exec(body.slice(Math.max(0, at - 12), at))?.[0] ?? '';
  const bare = word.replace(/^\.+/, '').toLowerCase();
  if (abbreviations.has(bare)) return false;
  // A single capital letter with a dot is an initial ("J. Smith"), as in "U.S." runs.
  return !/^(\p{Lu}\.)*\p{Lu}$/u.test(word.replace(/^\.+/, ''));
}
