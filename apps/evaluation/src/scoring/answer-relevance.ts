/**
 * Answer relevance: does the answer address the question? Lexical, like the rest of the scorer:
 * the share of the question's distinct content terms (content-terms.ts: stemmed, number words as
 * digits) that the answer uses, polarity ignored ("does it not cover X?" is answered by "it covers
 * X"). Words that only frame a question ("how many", "tell me", "explain") are not terms of it.
 *
 * What it sees: an answer about another subject (no shared terms), one that drifts off to a
 * neighbouring topic (few shared terms), an empty answer. What it cannot see: synonyms and
 * paraphrase ("vacation" for "annual leave" counts as not addressed), and an answer that repeats
 * the question's words without answering it (it scores well). A declining answer is not judged
 * here (it scores 1): refusal_correctness says whether declining was right.
 */
import { contentTerms, NEGATED_PREFIX } from './content-terms.js';
import type { MetricScore } from './score-answer.js';

// Stemmed as content-terms.ts stems them: words that ask rather than say what is asked about.
const QUESTION_FRAME = new Set(
  contentTerms(
    `many much long often tell explain describe please know need want like find give show say get
    kind sort way happen happens possible`,
  ),
);

function baseTerm(term: string): string {
  return term.startsWith(NEGATED_PREFIX) ? term.slice(NEGATED_PREFIX.length) : term;
}

/** The distinct terms a question asks about, in order of first use. */
export function questionTerms(question: string): string[] {
  const terms = contentTerms(question).map(baseTerm);
  const asked = terms.filter((term) => !QUESTION_FRAME.has(term));
  // A question made only of frame words ("How long?") is asked about those words.
  return [...new Set(asked.length > 0 ? asked : terms)];
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export function answerRelevance(question: string, answer: string, abstained: boolean): MetricScore {
  const asked = questionTerms(question);
  if (asked.length === 0) {
    return { metric: 'answer_relevance', value: 1, explanation: 'the question has no content terms to address' };
  }
  if (abstained) {
    return {
      metric: 'answer_relevance',
      value: 1,
      explanation: 'the answer declines; whether it should have is refusal_correctness',
    };
  }
  const used = new Set(contentTerms(answer).map(baseTerm));
  const addressed = asked.filter((term) => used.has(term));
  const missing = asked.filter((term) => !used.has(term));
  const shown = missing.slice(0, 8).join(', ') + (missing.length > 8 ? ', …' : '');
  return {
    metric: 'answer_relevance',
    value: round(addressed.length / asked.length),
    explanation:
      `${addressed.length} of ${asked.length} question terms addressed by the answer` +
      (missing.length > 0 ? ` (not: ${shown})` : ''),
  };
}
