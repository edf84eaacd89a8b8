/**
 * Ranks the sentences of retrieved contexts against a question. Relevance is the share of the
 * question's weighted terms a sentence contains, where a term's weight is a BM25-style inverse
 * document frequency over the contexts: a word many contexts repeat says little.
 *
 * A question word that no context contains cannot be matched by any sentence; it counts as much
 * as the least informative word that does occur. Retrieved contexts are chosen for the question,
 * so such a word is mostly phrasing ("how long", "used", a redaction label such as [EMAIL]):
 * it lowers every sentence's relevance a little, as an unanswered part of the question should,
 * without sinking a sentence that matches the rest. A question none of whose words occur scores
 * zero everywhere.
 *
 * Retrieval order breaks near-ties through a small bonus, never enough to lift an irrelevant sentence.
 */
import type { Sentence } from './sentences.js';
import { splitSentences } from './sentences.js';
import { contentTerms } from './terms.js';

export interface RankingContext {
  marker: number;
  text: string;
}

export interface RankedSentence extends Sentence {
  marker: number;
  /** The context's position in retrieval order, 0 first. */
  rank: number;
  /** Share of the question's term weight the sentence covers, 0..1. */
  relevance: number;
  /** Relevance plus the retrieval-order bonus; what selection sorts by. */
  score: number;
  /** The question terms the sentence contains. */
  matchedTerms: string[];
}

export interface RankingOptions {
  /** The largest bonus, given to sentences of the first context; default 0.05. */
  rankBonus?: number;
  /** Sentences with fewer words are fragments (labels, table cells), not answers; default 3. */
  minWords?: number;
}

export function rankSentences(
  question: string,
  contexts: readonly RankingContext[],
  options: RankingOptions = {},
): RankedSentence[] {
  const rankBonus = options.rankBonus ?? 0.05;
  const minWords = options.minWords ?? 3;
  const questionTerms = new Set(contentTerms(question));
  if (questionTerms.size === 0 || contexts.length === 0) return [];

  const contextTerms = contexts.map((context) => new Set(contentTerms(context.text)));
  const weights = new Map<string, number>();
  const absent: string[] = [];
  for (const term of questionTerms) {
    const documentFrequency = contextTerms.filter((terms) => terms.has(term)).length;
    if (documentFrequency === 0) absent.push(term);
    else weights.set(term, inverseDocumentFrequency(contexts.length, documentFrequency));
  }
  const absentWeight = weights.size > 0 ? Math.min(...weights.values()) : 1;
  for (const term of absent) weights.set(term, absentWeight);
  const totalWeight = [...weights.values()].reduce((sum, weight) => sum + weight, 0);

  const ranked: RankedSentence[] = [];
  contexts.forEach((context, rank) => {
    for (const sentence of splitSentences(context.text)) {
      if (wordCount(sentence.text) < minWords) continue;
      const terms = new Set(contentTerms(sentence.text));
      const matchedTerms = [...weights.keys()].filter((term) => terms.has(term));
      const covered = matchedTerms.reduce((sum, term) => sum + (weights.get(term) ?? 0), 0);
      const relevance = covered / totalWeight;
      const bonus = (rankBonus * (contexts.length - rank)) / contexts.length;
      ranked.push({ ...sentence, marker: context.marker, rank, relevance, score: relevance + bonus, matchedTerms });
    }
  });
  return ranked.sort((a, b) => b.score - a.score || a.rank - b.rank || a.start - b.start);
}

/** BM25's idf, which stays positive even for a term in every context. */
export function inverseDocumentFrequency(documents: number, documentFrequency: number): number {
  return Math.log(1 + (documents - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

function wordCount(text: string): number {
  return text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
}
