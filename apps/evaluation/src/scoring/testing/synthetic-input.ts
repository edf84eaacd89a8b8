/**
 * Reproducible scoring inputs of any size, for the size tests and bench/scoring.ts: contexts of
 * pseudo-English sentences (function words, Zipf-like content words, some numbers and
 * negations), and an answer of cited sentences, 70% quoted from the contexts and the rest made
 * up, like a long RAG answer that is mostly grounded.
 */
import type { ScoringInput } from '../score-answer.js';
import { SCORING_LIMITS } from '../scoring-limits.js';

/** mulberry32: small, fast, reproducible from a seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ter', 'van', 'po', 'ri', 'sen', 'dal', 'mor', 'quo', 'bel', 'tin', 'gar', 'fu'];
const FUNCTION_WORDS = ['the', 'a', 'is', 'and', 'of', 'to', 'in', 'for', 'with', 'on', 'by', 'not'];

export interface SyntheticInputOptions {
  /** Characters of answer; at most SCORING_LIMITS.answerChars. */
  answerChars: number;
  /** Characters of context text in all. */
  contextChars: number;
  /** Characters per context; default the smallest of 3,000 that keeps within SCORING_LIMITS.contexts. */
  contextSize?: number;
  seed?: number;
}

export function syntheticScoringInput(options: SyntheticInputOptions): ScoringInput & { question: string } {
  const random = seeded(options.seed ?? 1);
  const vocabulary = Array.from({ length: 3000 }, () => {
    let word = '';
    const syllables = 2 + Math.floor(random() * 3);
    for (let index = 0; index < syllables; index++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    return word;
  });
  const word = () => {
    const draw = random();
    if (draw < 0.3) return FUNCTION_WORDS[Math.floor(random() * FUNCTION_WORDS.length)] ?? 'the';
    if (draw < 0.33) return String(Math.floor(random() * 500));
    return vocabulary[Math.floor(random() ** 2 * vocabulary.length)] ?? 'word';
  };
  const sentence = () => {
    const words = Array.from({ length: 8 + Math.floor(random() * 14) }, word).join(' ');
    return `${words.charAt(0).toUpperCase()}${words.slice(1)}.`;
  };

  const contextSize = Math.min(
    SCORING_LIMITS.contextChars,
    options.contextSize ?? Math.max(3_000, Math.ceil(options.contextChars / SCORING_LIMITS.contexts)),
  );
  const contexts: { chunkId: string; text: string }[] = [];
  const quotable: string[] = [];
  let remaining = options.contextChars;
  while (remaining > 0) {
    const size = Math.min(contextSize, remaining);
    let text = '';
    for (;;) {
      const next = sentence();
      const joined = text ? `${text}${random() < 0.2 ? '\n' : ' '}${next}` : next;
      if (joined.length > size) break;
      text = joined;
      quotable.push(next);
    }
    if (!text) text = sentence().slice(0, size);
    contexts.push({ chunkId: `doc-${Math.floor(contexts.length / 4)}#${contexts.length % 4}`, text });
    remaining -= size;
  }

  const answerChars = Math.min(options.answerChars, SCORING_LIMITS.answerChars);
  let answer = '';
  for (;;) {
    const claim =
      quotable.length > 0 && random() < 0.7 ? (quotable[Math.floor(random() * quotable.length)] ?? '') : sentence();
    const cited = claim.replace(/\.$/, ` [${1 + Math.floor(random() * Math.max(1, contexts.length))}].`);
    const joined = answer ? `${answer} ${cited}` : cited;
    if (joined.length > answerChars) break;
    answer = joined;
  }
  return { question: 'What does the documentation say?', answer, contexts };
}
