/**
 * How well one context chunk supports one claim, lexically, in [0, 1].
 *
 * A chunk is read as windows of one sentence and of two adjacent sentences (so a chunk cannot
 * lend a claim words from unrelated sentences), and the support is that of the best window:
 *
 *   support = 0.75 × coverage + 0.25 × order
 *
 * - coverage: the fraction of the claim's distinct content terms that occur in the window;
 * - order: the longest common subsequence of the claim's terms and the window's terms, divided
 *   by the claim's term count; it rewards wording that follows the source, so a verbatim quote
 *   scores 1 while the same words shuffled into another statement score less;
 * - numbers and polarity are facts: when a number or a negated term of the claim is missing
 *   from the window, or a sentence of the window negates a term the claim asserts, support is
 *   capped at 0.5, below any sensible claim threshold ("lasts 5 years" is not supported by "lasts
 *   2 years"; "covers water damage" is not supported by "does not cover damage from water").
 *
 * Unrelated text shares no content terms and scores 0. Deterministic: no model, no randomness.
 *
 * This file is the definition, one claim against one chunk; scoring an answer goes through
 * context-index.ts, which finds the same best support without comparing every claim with every
 * window.
 */
import { contentTerms, isNegatedTerm, isNumericTerm, NEGATED_PREFIX } from './content-terms.js';
import { splitSentences } from './sentences.js';

export const COVERAGE_WEIGHT = 0.75;
export const ORDER_WEIGHT = 0.25;
export const CONTRADICTION_CAP = 0.5;

interface Sentence {
  terms: string[];
  termSet: ReadonlySet<string>;
}

/** One or two adjacent sentences of a chunk. */
interface TermWindow {
  terms: string[];
  termSet: ReadonlySet<string>;
  sentences: Sentence[];
}

/** A chunk prepared once and compared with every claim. */
export interface PreparedChunk {
  chunkId: string;
  windows: TermWindow[];
}

/**
 * The content terms of each sentence of a context that has any, in order. Contexts also get a
 * kind term before each email, phone or card number, which redaction placeholders in answers
 * match (see content-terms.ts).
 */
export function sentenceTermsOf(text: string): string[][] {
  return splitSentences(text, { joinWrappedLines: true })
    .map((sentence) => contentTerms(sentence, { valueKinds: true }))
    .filter((terms) => terms.length > 0);
}

export function prepareChunk(chunkId: string, text: string): PreparedChunk {
  const sentences: Sentence[] = sentenceTermsOf(text).map((terms) => ({ terms, termSet: new Set(terms) }));
  const windows: TermWindow[] = sentences.map((sentence) => ({ ...sentence, sentences: [sentence] }));
  for (let index = 1; index < sentences.length; index++) {
    const pair = [sentences[index - 1], sentences[index]].filter((s): s is Sentence => s !== undefined);
    const terms = pair.flatMap((sentence) => sentence.terms);
    windows.push({ terms, termSet: new Set(terms), sentences: pair });
  }
  return { chunkId, windows };
}

/** Length of the longest common subsequence, in O(a × b) time and O(b) memory. */
export function longestCommonSubsequence(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let previous = new Array<number>(b.length + 1).fill(0);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      current[j] = a[i - 1] === b[j - 1] ? (previous[j - 1] ?? 0) + 1 : Math.max(previous[j] ?? 0, current[j - 1] ?? 0);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] ?? 0;
}

function contradicts(term: string, window: TermWindow): boolean {
  if (window.termSet.has(term)) {
    // Present, yet a sentence of the window says the opposite and never the thing itself.
    const negated = `${NEGATED_PREFIX}${term}`;
    return window.sentences.some((sentence) => sentence.termSet.has(negated) && !sentence.termSet.has(term));
  }
  return (
    isNumericTerm(term) ||
    isNegatedTerm(term) ||
    window.sentences.some((sentence) => sentence.termSet.has(`${NEGATED_PREFIX}${term}`))
  );
}

function windowSupport(claimTerms: readonly string[], distinct: ReadonlySet<string>, window: TermWindow): number {
  let covered = 0;
  let contradicted = false;
  for (const term of distinct) {
    if (window.termSet.has(term)) covered++;
    if (contradicts(term, window)) contradicted = true;
  }
  if (covered === 0) return 0;
  const coverage = covered / distinct.size;
  // Window terms absent from the claim can never be part of a common subsequence; dropping
  // them first keeps long windows cheap without changing the result.
  const relevant = window.terms.filter((term) => distinct.has(term));
  const order = longestCommonSubsequence(claimTerms, relevant) / claimTerms.length;
  const support = COVERAGE_WEIGHT * coverage + ORDER_WEIGHT * order;
  return contradicted ? Math.min(support, CONTRADICTION_CAP) : support;
}

export function supportOf(claimTerms: readonly string[], chunk: PreparedChunk): number {
  if (claimTerms.length === 0) return 0;
  const distinct = new Set(claimTerms);
  let best = 0;
  for (const window of chunk.windows) best = Math.max(best, windowSupport(claimTerms, distinct, window));
  return best;
}
