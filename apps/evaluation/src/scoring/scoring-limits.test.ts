import { describe, expect, it } from 'vitest';
import { scoreAnswer } from './score-answer.js';
import { limitScoringInput, SCORING_LIMITS } from './scoring-limits.js';
import { scoringRequestSchema } from './scoring-request.js';

const context = (chunkId: string, text: string) => ({ chunkId, text });

describe('limitScoringInput', () => {
  it('leaves an input within the limits as it is', () => {
    const input = { answer: 'Refunds take 5 days.', contexts: [context('c1', 'Refunds take 5 days.')] };
    expect(limitScoringInput(input)).toEqual({ input, truncated: [] });
  });

  it('cuts a long answer at a sentence end or line break and says how much it kept', () => {
    const answer = 'Refunds take 5 days. '.repeat(2_000);
    const { input, truncated } = limitScoringInput({ answer, contexts: [] });
    expect(input.answer.length).toBeLessThanOrEqual(SCORING_LIMITS.answerChars);
    expect(input.answer.endsWith('days.')).toBe(true);
    expect(truncated).toEqual([`answer cut to its first ${input.answer.length} of ${answer.length} characters`]);
  });

  it('keeps the first contexts, cuts long ones, and stops at the total', () => {
    const many = Array.from({ length: 230 }, (_, index) => context(`c${index}`, 'x'.repeat(20_000)));
    const { input, truncated } = limitScoringInput({ answer: 'Yes.', contexts: many });
    expect(input.contexts.every((kept) => kept.text.length <= SCORING_LIMITS.contextChars)).toBe(true);
    const total = input.contexts.reduce((sum, kept) => sum + kept.text.length, input.answer.length);
    expect(total).toBeLessThanOrEqual(SCORING_LIMITS.totalChars);
    expect(truncated).toEqual([
      'only the first 200 of 230 contexts scored',
      '61 contexts cut to at most 16384 characters',
      '1000000 characters in all reached: 1 context cut, 138 contexts left out',
    ]);
  });
});

describe('scoringRequestSchema', () => {
  it('accepts the largest allowed request', () => {
    const contexts = Array.from({ length: 59 }, (_, index) => context(`c${index}`, 'a'.repeat(16_384)));
    expect(scoringRequestSchema.safeParse({ answer: 'a'.repeat(32_768), contexts }).success).toBe(true);
  });
});

describe('degenerate text at the limits', () => {
  // Under lexical-groundedness/1, measured on a loaded 2-core machine: blank lines 7.9 s (the
  // wrapped-line regex rescanned each run of line breaks), one endless sentence 4.4 s (every
  // claim position against every window), joined clauses 17.5 s (each clause check re-tokenized
  // the sentence so far); whitespace runs (34 ms) and lower-case pieces (0.6 s) are guards.
  const cases: [string, string, string][] = [
    ['whitespace runs', `${' '.repeat(32_000)}x.`, `a${' '.repeat(16_000)}b.`],
    ['blank lines', `${'\n'.repeat(32_000)}x.`, '\n'.repeat(16_000)],
    ['one endless sentence', 'word '.repeat(6_500), 'word other '.repeat(1_400)],
    ['joined clauses', 'x, and '.repeat(4_600), 'y; '.repeat(5_000)],
    ['lower-case pieces that keep joining', 'a. '.repeat(10_000), 'b. '.repeat(5_000)],
  ];
  it.each(cases)('scores %s in well under 5 s', (_, answer, text) => {
    const contexts = Array.from({ length: 50 }, (_, index) => context(`c${index}`, text));
    const started = performance.now();
    scoreAnswer({ answer, contexts });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
