/**
 * The shape of an offline scoring request, shared by `POST /v1/evaluations:score` and the
 * `score-file` CLI (one per JSONL line), so both accept exactly the same records.
 */
import { z } from '@keel/platform';

export const MAX_SCORING_CONTEXTS = 200;

export const scoringRequestSchema = z.object({
  /** Free-form, carried through to reports; the CLI uses it to name records. */
  id: z.string().optional(),
  question: z.string().default(''),
  answer: z.string(),
  contexts: z.array(z.object({ chunkId: z.string().min(1), text: z.string() })).max(MAX_SCORING_CONTEXTS),
});

export type ScoringRequest = z.infer<typeof scoringRequestSchema>;
