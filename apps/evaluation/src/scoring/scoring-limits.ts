/**
 * How much one answer may ask of the scorer. Far above any real RAG answer (32k characters is
 * about 5,000 words; a retrieved chunk is usually under 2,000 characters and a prompt holds
 * tens of them), and low enough that the largest input scores in about a second (see
 * bench/scoring.ts).
 *
 * `POST /v1/evaluations:score` and the CLI reject an input over a limit with the field named
 * (scoring-request.ts); an event is never rejected for its size: `limitScoringInput` cuts it
 * down and says what it cut, and the explanation of the score carries that note.
 */
import type { ScoringContext, ScoringInput } from './score-answer.js';

export const SCORING_LIMITS = {
  answerChars: 32_768,
  questionChars: 8_192,
  contextChars: 16_384,
  contexts: 200,
  /** Answer, question and context texts together; the HTTP body limit (1 MiB) is about the same. */
  totalChars: 1_000_000,
  chunkIdChars: 512,
  idChars: 256,
} as const;

export interface LimitedInput {
  input: ScoringInput;
  /** What was cut, in words, for the explanation; empty when nothing was. */
  truncated: string[];
}

/** Cuts `text` to at most `limit` characters, at a sentence end or line break when one is near. */
function cutText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let cut = limit;
  // Never split a surrogate pair.
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  const head = text.slice(0, cut);
  const boundary = Math.max(head.lastIndexOf('\n'), head.search(/[.!?]\s[^.!?]*$/) + 1);
  return boundary >= cut / 2 ? head.slice(0, boundary) : head;
}

/** The input within SCORING_LIMITS (the question is not scored, so it is not counted here). */
export function limitScoringInput(input: ScoringInput): LimitedInput {
  const truncated: string[] = [];
  let answer = input.answer;
  if (answer.length > SCORING_LIMITS.answerChars) {
    answer = cutText(answer, SCORING_LIMITS.answerChars);
    truncated.push(`answer cut to its first ${answer.length} of ${input.answer.length} characters`);
  }
  let contexts: readonly ScoringContext[] = input.contexts;
  if (contexts.length > SCORING_LIMITS.contexts) {
    truncated.push(`only the first ${SCORING_LIMITS.contexts} of ${contexts.length} contexts scored`);
    contexts = contexts.slice(0, SCORING_LIMITS.contexts);
  }
  let cut = 0;
  let cutForTotal = 0;
  let dropped = 0;
  let room = SCORING_LIMITS.totalChars - answer.length;
  const kept: ScoringContext[] = [];
  for (const context of contexts) {
    if (room <= 0) {
      dropped++;
      continue;
    }
    const forTotal = room < Math.min(SCORING_LIMITS.contextChars, context.text.length);
    const text = cutText(context.text, Math.min(SCORING_LIMITS.contextChars, room));
    if (text.length < context.text.length) {
      if (forTotal) cutForTotal++;
      else cut++;
    }
    room -= text.length;
    kept.push(text === context.text ? context : { chunkId: context.chunkId, text });
  }
  const contextsWord = (count: number) => `${count} context${count === 1 ? '' : 's'}`;
  if (cut > 0) truncated.push(`${contextsWord(cut)} cut to at most ${SCORING_LIMITS.contextChars} characters`);
  if (cutForTotal + dropped > 0) {
    truncated.push(
      `${SCORING_LIMITS.totalChars} characters in all reached: ${contextsWord(cutForTotal)} cut, ${contextsWord(dropped)} left out`,
    );
  }
  if (truncated.length === 0) return { input, truncated };
  return { input: { ...input, answer, contexts: kept }, truncated };
}
