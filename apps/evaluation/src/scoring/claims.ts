/**
 * Splits an answer into claims: its sentences, with citation markers taken off and remembered,
 * and sentences joining independent clauses ("...; ...", "..., and ...") split once more,
 * because one sentence can glue an invented fact onto a quoted one. A sentence that declines
 * to answer ("I could not find this in the documents") asserts nothing about the world, so it
 * is not a claim; neither is a fragment without content words ("Yes.").
 */
import { contentTerms } from './content-terms.js';
import { splitSentences } from './sentences.js';

export interface Claim {
  /** The sentence, or one clause of it, without citation markers. */
  text: string;
  /** The markers its sentence carried, as written (`[1]`, `[2, 3]`). */
  citationMarkers: string[];
  /** Its content terms, in order (see content-terms.ts). */
  terms: string[];
}

export interface ClaimExtraction {
  claims: Claim[];
  /** Sentences that decline to answer. */
  abstentions: string[];
  /** Citation markers anywhere in the answer, including on abstentions. */
  markerCount: number;
}

// `[1]`, `[1, 2]`, `[1-3]`, `[^1]`: the markers Keel's answerers emit and common LLM variants.
const MARKER = /\[\^?\d+(?:\s*[,;–-]\s*\^?\d+)*\]/g;

const ABSTENTION_PATTERNS: RegExp[] = [
  /\b(?:i|we)\s+(?:could|can|did|do|was|were|am|are)\s*(?:not|n['’]t)\s+(?:find|answer|locate|determine|see|tell|able)\b/i,
  /\b(?:i|we)\s+(?:don['’]t|do not)\s+know\b/i,
  /\b(?:cannot|can['’]t|unable to)\s+(?:answer|find|determine|tell)\b/i,
  /\b(?:no|not enough|insufficient)\s+(?:relevant\s+)?(?:information|context|sources?|documents?|passages?)\b/i,
  /\b(?:context|documents?|sources?|passages?)\s+(?:provided\s+)?(?:do(?:es)?\s*(?:not|n['’]t))\s+(?:contain|mention|say|include|cover|answer|address)\b/i,
  /\bnot\s+(?:mentioned|covered|addressed|stated|found)\s+in\s+the\s+(?:provided\s+|given\s+)?(?:context|documents?|sources?|passages?)\b/i,
];

/** True when the sentence declines to answer rather than asserting something. */
export function isAbstention(sentence: string): boolean {
  return ABSTENTION_PATTERNS.some((pattern) => pattern.test(sentence));
}

// Where a sentence joins independent clauses (captured, so a rejoined clause keeps its punctuation).
const CLAUSE_BOUNDARY = /(;\s+|,\s+(?=(?:and|but|while|whereas|although|though|so)\s))/i;
// A clause needs this many content terms to stand alone; shorter pieces stay with their neighbour.
const MIN_CLAUSE_TERMS = 2;

/** Splits a sentence at clause boundaries, keeping pieces too small to stand alone attached. */
export function splitClauses(sentence: string): string[] {
  const parts = sentence.split(CLAUSE_BOUNDARY);
  const clauses: string[] = [parts[0] ?? ''];
  // Term counts add up across a boundary (it holds `;` or `,`, which ends a negation's scope and
  // separates tokens), so each piece is tokenized once however many pieces join.
  const termCounts: number[] = [contentTerms(parts[0] ?? '').length];
  for (let index = 1; index + 1 < parts.length; index += 2) {
    const separator = parts[index] ?? '';
    const piece = parts[index + 1] ?? '';
    const pieceTerms = contentTerms(piece).length;
    const last = clauses.length - 1;
    const previousTerms = termCounts[last] ?? 0;
    if (previousTerms < MIN_CLAUSE_TERMS || pieceTerms < MIN_CLAUSE_TERMS) {
      clauses[last] = `${clauses[last] ?? ''}${separator}${piece}`;
      termCounts[last] = previousTerms + pieceTerms;
    } else {
      clauses.push(piece);
      termCounts.push(pieceTerms);
    }
  }
  return clauses.map((clause) => clause.trim()).filter((clause) => clause.length > 0);
}

function withoutMarkers(text: string): string {
  return (
    text
      .replace(MARKER, '')
      // Only from the start of a whitespace run: tried from every space of a long run, the
      // pattern would rescan the rest of the run each time.
      .replace(/(?<!\s)\s+([.,;:!?])/g, '$1')
      .replace(/\s{2,}/g, ' ')
      .trim()
  );
}

export function extractClaims(answer: string): ClaimExtraction {
  const claims: Claim[] = [];
  const abstentions: string[] = [];
  let markerCount = 0;
  for (const sentence of splitSentences(answer)) {
    const citationMarkers = sentence.match(MARKER) ?? [];
    markerCount += citationMarkers.length;
    const text = withoutMarkers(sentence);
    if (isAbstention(text)) {
      abstentions.push(text);
      continue;
    }
    // A marker at the end of a sentence cites every clause in it.
    for (const clause of splitClauses(text)) {
      const terms = contentTerms(clause);
      if (terms.length > 0) claims.push({ text: clause, citationMarkers, terms });
    }
  }
  return { claims, abstentions, markerCount };
}
