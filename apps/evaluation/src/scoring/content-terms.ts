/**
 * The evaluator's own tokenizer: lowercased content words with a light stemmer. It lives here,
 * not in a shared text library, because scores must only change when `EVALUATOR_VERSION` does:
 * a tokenizer tuned for search recall elsewhere must not silently move groundedness numbers.
 */

// Function words carry no facts. Negations are deliberately absent ("not", "no", "never",
// "without"): dropping them would make "returns are not accepted" match "returns are accepted".
const STOPWORDS = new Set(
  `a about above after again against all also am an and any are as at be because been before being below
  between both but by can could did do does doing down during each few for from further had has have having
  he her here hers herself him himself his how i if in into is it its itself just may me might more most must
  my myself of off on once only or other our ours ourselves out over own same shall she should so some such
  than that the their theirs them themselves then there these they this those through to too under until up
  upon us very was we were what when where which while who whom whose why will with within would you your
  yours yourself yourselves yes`.split(/\s+/),
);

const NEGATIONS = new Set(['not', 'no', 'never', 'nor', 'without', 'cannot', 'none', 'neither']);

// Number words become digits so "two years" and "2 years" are the same fact.
const NUMBER_WORDS: Record<string, string> = Object.fromEntries(
  `zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
  seventeen eighteen nineteen twenty`
    .split(/\s+/)
    .map((word, value) => [word, String(value)] as const)
    .concat(
      ['thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'].map(
        (word, index) => [word, String((index + 3) * 10)] as const,
      ),
    ),
);

// Numbers keep their decimal part ("3.5"); words may hold inner apostrophes ("don't").
const TOKEN = /\p{N}+(?:[.,]\p{N}+)*|\p{L}[\p{L}\p{N}'’]*/gu;

/** True for a term that is a number: numbers are facts that must match exactly. */
export function isNumericTerm(term: string): boolean {
  return /^\p{N}/u.test(term);
}

/**
 * A light suffix stemmer (plurals, -ed, -ing, a final -e), applied identically to answers and
 * contexts, so "lasts", "lasted" and "last" meet. It is not Porter: over- and under-stemming
 * cancel out because both sides go through the same function.
 */
export function stem(word: string): string {
  if (isNumericTerm(word)) return word;
  let w = word;
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && /(?:x|ch|sh|ss|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/** True for a term negated in its text ("not:cover" from "does not cover"). */
export function isNegatedTerm(term: string): boolean {
  return term.startsWith(NEGATED_PREFIX);
}

export const NEGATED_PREFIX = 'not:';

// Punctuation between two tokens that ends a negation's scope.
const SCOPE_BREAK = /[.!?;:,]/;

/**
 * The content terms of `text`, in order, stemmed, with function words removed. A negation
 * ("not", "never", "no", "cannot", "-n't") is fused onto the next content term of its clause,
 * "does not cover damage" giving `not:cover`, `damage`, so that a statement and its negation
 * are different terms rather than the same words plus a stray "not" somewhere in the chunk.
 */
export function contentTerms(text: string): string[] {
  const terms: string[] = [];
  let negationPending = false;
  let previousEnd = 0;
  const normalised = text.normalize('NFKC').toLowerCase();
  for (const match of normalised.matchAll(TOKEN)) {
    const start = match.index ?? 0;
    if (negationPending && SCOPE_BREAK.test(normalised.slice(previousEnd, start))) negationPending = false;
    previousEnd = start + match[0].length;
    let token = match[0].replace(/’/g, "'");
    if (token.endsWith("n't") || NEGATIONS.has(token)) {
      negationPending = true;
      continue;
    }
    token = token.replace(/'s$/, '').replace(/'/g, '');
    if (token.length === 0 || STOPWORDS.has(token)) continue;
    const term = normalizeTerm(token);
    terms.push(negationPending ? `${NEGATED_PREFIX}${term}` : term);
    negationPending = false;
  }
  return terms;
}

function normalizeTerm(token: string): string {
  const number = NUMBER_WORDS[token];
  if (number !== undefined) return number;
  // Thousands separators are notation, not value: "1,000" and "1000" are one number.
  if (isNumericTerm(token)) return token.replace(/,(?=\p{N}{3}(?!\p{N}))/gu, '');
  return stem(token);
}
