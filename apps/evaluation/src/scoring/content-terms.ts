/**
 * The evaluator's own tokenizer: lowercased content words with a light stemmer. It lives here,
 * not in a shared text library, because scores must only change when `EVALUATOR_VERSION` does:
 * a tokenizer tuned for search recall elsewhere must not silently move groundedness numbers.
 */
import { passesLuhn } from '@keel/text/checks';

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
 * The term a redaction placeholder stands for, the same in answers and contexts: policy replaces
 * PII with typed labels (`[EMAIL]`, `[PHONE]`, `[CARD]`; libs/policy-engine/src/detection/redaction.ts),
 * so a redacted answer ("Pay deposits with [CARD]. [1]") still matches the context it quotes,
 * where the card number stands (contexts are indexed with a kind term before every email, phone
 * number and card number they hold, see `valueKindSpans`).
 */
export const VALUE_KIND_TERMS = { email: '<email>', phone: '<phone>', card: '<card>' } as const;
export type ValueKind = keyof typeof VALUE_KIND_TERMS;

// `[EMAIL]`, `[PHONE_2]`, `[REDACTED]`, `[PERSON]`: upper case, as redactors write them (a
// lower-case "[note]" is text). Typed ones match their kind of value; any other label, whose
// value nobody can tell, is neutral: neither a supported nor an unsupported term.
const PLACEHOLDER = /\[([A-Z][A-Z0-9_]{2,31})\]/g;
const TYPED_PLACEHOLDER = /^(EMAIL|PHONE|CARD)(?:_?\d+)?$/;

function placeholderTerm(label: string): string | undefined {
  const typed = TYPED_PLACEHOLDER.exec(label)?.[1];
  return typed ? VALUE_KIND_TERMS[typed.toLowerCase() as ValueKind] : undefined;
}

export interface ContentTermsOptions {
  /**
   * Also emit a kind term (`<email>`, `<phone>`, `<card>`) before each such value in the text,
   * keeping the value's own terms: for contexts, which redacted answers are compared with.
   */
  valueKinds?: boolean;
}

/** The tokenizer's state across the segments between placeholders. */
interface TermState {
  terms: string[];
  negationPending: boolean;
}

function pushTerm(state: TermState, term: string): void {
  state.terms.push(state.negationPending ? `${NEGATED_PREFIX}${term}` : term);
  state.negationPending = false;
}

/** Tokens of one lowercased segment (no placeholders inside), with value kinds when asked. */
function segmentTerms(state: TermState, segment: string, valueKinds: boolean): void {
  const kinds = valueKinds ? valueKindSpans(segment) : [];
  let nextKind = 0;
  let previousEnd = 0;
  for (const match of segment.matchAll(TOKEN)) {
    const start = match.index ?? 0;
    if (state.negationPending && SCOPE_BREAK.test(segment.slice(previousEnd, start))) state.negationPending = false;
    previousEnd = start + match[0].length;
    // A kind term goes where its value starts; the value's own tokens follow unchanged.
    while (nextKind < kinds.length && (kinds[nextKind]?.start ?? 0) <= start) {
      const kind = kinds[nextKind++];
      if (kind) pushTerm(state, VALUE_KIND_TERMS[kind.kind]);
    }
    let token = match[0].replace(/’/g, "'");
    if (token.endsWith("n't") || NEGATIONS.has(token)) {
      state.negationPending = true;
      continue;
    }
    token = token.replace(/'s$/, '').replace(/'/g, '');
    if (token.length === 0 || STOPWORDS.has(token)) continue;
    pushTerm(state, normalizeTerm(token));
  }
  if (state.negationPending && SCOPE_BREAK.test(segment.slice(previousEnd))) state.negationPending = false;
}

/**
 * The content terms of `text`, in order, stemmed, with function words removed. A negation
 * ("not", "never", "no", "cannot", "-n't") is fused onto the next content term of its clause,
 * "does not cover damage" giving `not:cover`, `damage`, so that a statement and its negation
 * are different terms rather than the same words plus a stray "not" somewhere in the chunk.
 * A redaction placeholder becomes its kind term (`[CARD]` → `<card>`) or, untyped, nothing.
 */
export function contentTerms(text: string, options: ContentTermsOptions = {}): string[] {
  const state: TermState = { terms: [], negationPending: false };
  const valueKinds = options.valueKinds ?? false;
  const normalised = text.normalize('NFKC');
  let segmentStart = 0;
  for (const placeholder of normalised.matchAll(PLACEHOLDER)) {
    const start = placeholder.index ?? 0;
    segmentTerms(state, normalised.slice(segmentStart, start).toLowerCase(), valueKinds);
    const term = placeholderTerm(placeholder[1] ?? '');
    if (term) pushTerm(state, term);
    segmentStart = start + placeholder[0].length;
  }
  segmentTerms(state, (segmentStart === 0 ? normalised : normalised.slice(segmentStart)).toLowerCase(), valueKinds);
  return state.terms;
}

function normalizeTerm(token: string): string {
  // Own properties only: "constructor" is a word, not Object.prototype's.
  const number = Object.hasOwn(NUMBER_WORDS, token) ? NUMBER_WORDS[token] : undefined;
  if (number !== undefined) return number;
  // Thousands separators are notation, not value: "1,000" and "1000" are one number.
  if (isNumericTerm(token)) return token.replace(/,(?=\p{N}{3}(?!\p{N}))/gu, '');
  return stem(token);
}

export interface ValueKindSpan {
  start: number;
  kind: ValueKind;
}

const EMAIL_LOCAL = /[a-z0-9!#$%&'*+/=?^_`{|}~.-]/;
const EMAIL_DOMAIN = /[a-z0-9.-]/;
// Digits with the separators people write in phone and card numbers. Every match is a maximal
// run (the class holds the digits), so scanning is linear in the text.
const DIGIT_RUN = /[+(]?\d[\d \u00a0()./-]*\d/g;
const DIGIT_GROUP = /\d+/g;

/**
 * Where a lowercased text holds an email address, a phone number or a payment card number, by
 * shape (and the Luhn check for cards): enough to say which kind of value a placeholder may have
 * replaced, not a PII detector (policy's is stricter). Linear: every scan is bounded or maximal.
 */
export function valueKindSpans(text: string): ValueKindSpan[] {
  const spans: ValueKindSpan[] = [];
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start < 64 && EMAIL_LOCAL.test(text[start - 1] ?? '')) start--;
    let end = at + 1;
    while (end < text.length && end - at <= 253 && EMAIL_DOMAIN.test(text[end] ?? '')) end++;
    const domain = text.slice(at + 1, end).replace(/[.-]+$/, '');
    if (start < at && /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,63}$/.test(domain)) spans.push({ start, kind: 'email' });
  }
  for (const run of text.matchAll(DIGIT_RUN)) {
    const runStart = run.index ?? 0;
    const groups = [...run[0].matchAll(DIGIT_GROUP)].map((group) => ({
      digits: group[0],
      start: runStart + (group.index ?? 0),
      end: runStart + (group.index ?? 0) + group[0].length,
    }));
    const card = cardStart(text, groups);
    if (card !== undefined) {
      spans.push({ start: card, kind: 'card' });
      continue;
    }
    const digits = groups.reduce((count, group) => count + group.digits.length, 0);
    if (digits >= 7 && digits <= 15 && !/^\d{4}-\d{2}-\d{2}$/.test(run[0]))
      spans.push({ start: runStart, kind: 'phone' });
  }
  return spans.sort((a, b) => a.start - b.start);
}

/** The start of the first card number in a run of digit groups: 13-19 digits, Luhn-valid. */
function cardStart(
  text: string,
  groups: readonly { digits: string; start: number; end: number }[],
): number | undefined {
  for (let first = 0; first < groups.length; first++) {
    const head = groups[first];
    if (!head) break;
    if (head.digits.length >= 13) {
      if (head.digits.length <= 19 && passesLuhn(head.digits)) return head.start;
      continue;
    }
    // Grouped: groups of at least three digits, one separator (a space or a dash) throughout.
    let digits = '';
    let separator: string | undefined;
    for (let index = first; index < groups.length; index++) {
      const group = groups[index];
      if (!group || group.digits.length < 3) break;
      if (index > first) {
        const between = text.slice(groups[index - 1]?.end, group.start);
        if ((between !== ' ' && between !== '-') || (separator !== undefined && between !== separator)) break;
        separator = between;
      }
      digits += group.digits;
      if (digits.length > 19) break;
      if (digits.length >= 13 && passesLuhn(digits)) return head.start;
    }
  }
  return undefined;
}
