/**
 * One row of a golden data set, as uploaded (JSONL, one object a line) and as served back:
 * `{ "question", "reference_answer"?, "relevant_document_ids"?: [...], "tags"?: [...], "id"? }`.
 *
 * Rows are checked strictly: an unknown field is an error, because a misspelt `reference_answer`
 * would otherwise turn a scored row into an unscored one without anyone noticing. The question
 * limit is the gateway's (a longer one could never be asked).
 */
import { z } from '@keel/platform';
import { isBlankText } from '@keel/text/checks';

export const GOLDEN_ROW_LIMITS = {
  /** The gateway's `maxQuestionLength`: the question is also the search query. */
  question: 4096,
  referenceAnswer: 32_768,
  relevantDocumentIds: 100,
  documentId: 512,
  tags: 32,
  tag: 64,
  id: 128,
} as const;

const L = GOLDEN_ROW_LIMITS;

export const goldenRowSchema = z.strictObject({
  id: z.string().min(1, 'must not be empty').max(L.id, `at most ${L.id} characters`).optional(),
  question: z
    .string()
    .max(L.question, `at most ${L.question} characters`)
    .refine((question) => !isBlankText(question), 'must not be empty'),
  reference_answer: z.string().max(L.referenceAnswer, `at most ${L.referenceAnswer} characters`).optional(),
  relevant_document_ids: z
    .array(z.string().min(1, 'must not be empty').max(L.documentId, `at most ${L.documentId} characters`))
    .max(L.relevantDocumentIds, `at most ${L.relevantDocumentIds} ids`)
    .optional(),
  tags: z
    .array(z.string().min(1, 'must not be empty').max(L.tag, `at most ${L.tag} characters`))
    .max(L.tags, `at most ${L.tags} tags`)
    .optional(),
});

/** A stored row always has an id: its own, else `line-<n>` of the line it came from. */
export type GoldenRow = z.infer<typeof goldenRowSchema> & { id: string };

export type ParsedLine = { ok: true; row: GoldenRow } | { ok: false; reason: string };

/** Parses one non-blank line; the reason names the field (`question: Required`). */
export function parseGoldenLine(text: string, lineNumber: number): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'must be a JSON object' };
  }
  const parsed = goldenRowSchema.safeParse(value);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((issue) => {
        const field = issue.path.map(String).join('.');
        const message = issue.code === 'invalid_type' && issue.input === undefined ? 'Required' : issue.message;
        return field ? `${field}: ${message}` : message;
      })
      .join('; ');
    return { ok: false, reason };
  }
  return { ok: true, row: { ...parsed.data, id: parsed.data.id ?? `line-${lineNumber}` } };
}
