/**
 * The shape of an offline scoring request, shared by `POST /v1/evaluations:score` and the
 * `score-file` CLI (one per JSONL line), so both accept exactly the same records. Every input is
 * bounded (scoring-limits.ts); an input over a limit is rejected with the field named, e.g.
 * `answer: at most 32768 characters`.
 */
import { z } from '@keel/platform';
import { SCORING_LIMITS } from './scoring-limits.js';

export const MAX_SCORING_CONTEXTS = SCORING_LIMITS.contexts;

const text = (limit: number) => z.string().max(limit, `at most ${limit} characters`);

export const scoringRequestSchema = z
  .object({
    /** Free-form, carried through to reports; the CLI uses it to name records. */
    id: text(SCORING_LIMITS.idChars).optional(),
    question: text(SCORING_LIMITS.questionChars).default(''),
    answer: text(SCORING_LIMITS.answerChars),
    contexts: z
      .array(
        z.object({
          chunkId: text(SCORING_LIMITS.chunkIdChars).min(1),
          text: text(SCORING_LIMITS.contextChars),
        }),
      )
      .max(SCORING_LIMITS.contexts, `at most ${SCORING_LIMITS.contexts} contexts`),
  })
  .superRefine((request, context) => {
    const total =
      request.answer.length + request.question.length + request.contexts.reduce((sum, c) => sum + c.text.length, 0);
    if (total > SCORING_LIMITS.totalChars) {
      context.addIssue({
        code: 'custom',
        path: ['contexts'],
        message: `at most ${SCORING_LIMITS.totalChars} characters of text in all, answer and question included (got ${total})`,
      });
    }
  });

export type ScoringRequest = z.infer<typeof scoringRequestSchema>;
