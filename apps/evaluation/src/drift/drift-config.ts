/**
 * Drift's variables: `EVALUATION_DRIFT_WINDOW` (`200`: the last 200 scored answers; `30m`, `2h`:
 * a span of time; `0`: drift off), `EVALUATION_DRIFT_THRESHOLD` (0.1: the largest fall of a mean
 * score or a rate that is not an alert), `EVALUATION_DRIFT_MIN_ANSWERS` (20: a window with fewer
 * answers is not judged) and `EVALUATION_DRIFT_REVIEW_SAMPLE` (5: answers of a drifted window sent
 * to review).
 */
import { z } from '@keel/platform';
import type { WindowSpec } from './drift-window.js';

export interface DriftConfig {
  window: WindowSpec;
  threshold: number;
  minAnswers: number;
  reviewSample: number;
}

const MINUTE = 60_000;

export const driftWindowSchema = z
  .string()
  .max(32)
  .default('200')
  .transform((value, context): WindowSpec | null => {
    const match = /^\s*(\d+)\s*([mh]?)\s*$/.exec(value);
    const amount = match ? Number(match[1]) : Number.NaN;
    if (!match || !Number.isSafeInteger(amount)) {
      context.addIssue({ code: 'custom', message: 'expected a number of answers (200), minutes (30m) or hours (2h)' });
      return z.NEVER;
    }
    if (amount === 0) return null;
    if (match[2] === '') {
      if (amount > 1_000_000) {
        context.addIssue({ code: 'custom', message: 'at most 1000000 answers' });
        return z.NEVER;
      }
      return { kind: 'answers', answers: amount };
    }
    const ms = amount * (match[2] === 'h' ? 60 * MINUTE : MINUTE);
    if (ms > 31 * 24 * 60 * MINUTE) {
      context.addIssue({ code: 'custom', message: 'at most 31 days' });
      return z.NEVER;
    }
    return { kind: 'time', ms };
  });

export const driftEnvFields = {
  EVALUATION_DRIFT_WINDOW: driftWindowSchema,
  EVALUATION_DRIFT_THRESHOLD: z.coerce.number().gt(0).max(1).default(0.1),
  EVALUATION_DRIFT_MIN_ANSWERS: z.coerce.number().int().min(1).max(1_000_000).default(20),
  EVALUATION_DRIFT_REVIEW_SAMPLE: z.coerce.number().int().min(0).max(50).default(5),
};

export function driftConfigOf(env: {
  EVALUATION_DRIFT_WINDOW: WindowSpec | null;
  EVALUATION_DRIFT_THRESHOLD: number;
  EVALUATION_DRIFT_MIN_ANSWERS: number;
  EVALUATION_DRIFT_REVIEW_SAMPLE: number;
}): DriftConfig | undefined {
  const window = env.EVALUATION_DRIFT_WINDOW;
  if (!window) return undefined;
  // An answer window smaller than the minimum would never be judged.
  const minAnswers =
    window.kind === 'answers'
      ? Math.min(env.EVALUATION_DRIFT_MIN_ANSWERS, window.answers)
      : env.EVALUATION_DRIFT_MIN_ANSWERS;
  return {
    window,
    threshold: env.EVALUATION_DRIFT_THRESHOLD,
    minAnswers,
    reviewSample: env.EVALUATION_DRIFT_REVIEW_SAMPLE,
  };
}
