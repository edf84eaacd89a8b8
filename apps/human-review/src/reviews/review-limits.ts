/**
 * How much one review request or one escalated exchange may carry. Far above anything real (a
 * question is at most 4,096 characters at the gateway, a retrieved chunk is usually under 2,000
 * characters and an answer is grounded on at most 50 of them), and low enough that one item stays
 * far below MongoDB's 16 MB document limit and a review console can render it.
 *
 * An event over a limit is a permanent defect of the message: it fails with a non-retryable
 * validation error naming the field (`contexts[3].text`), so the bus dead-letters it at once. It
 * is never cut down: a shortened question or answer would go on to become a wrong golden example.
 */
import { type Violation, validationError, z } from '@keel/platform';

export const REVIEW_LIMITS = {
  idChars: 256,
  tenantChars: 128,
  traceIdChars: 128,
  requestedByChars: 128,
  detailChars: 8_192,
  questionChars: 32_768,
  answerChars: 65_536,
  contexts: 200,
  contextChars: 32_768,
  chunkIdChars: 512,
  citations: 200,
  titleChars: 1_024,
  sourceChars: 2_048,
  quoteChars: 32_768,
  aclGroups: 100,
  groupChars: 256,
  readRequires: 100,
  /** Question, answer, context texts and quotes together. */
  totalChars: 1_000_000,
} as const;

/** The HTTP API's limits. */
export const HTTP_LIMITS = {
  correctedAnswerChars: REVIEW_LIMITS.answerChars,
  commentChars: 8_192,
  cursorChars: 2_048,
  /** JSON bodies (a decision is the largest): far above a correction of the longest answer. */
  bodyLimit: '512kb',
} as const;

const text = (limit: number) => z.string().max(limit, `at most ${limit} characters`);
const list = <T extends z.ZodType>(item: T, limit: number) => z.array(item).max(limit, `at most ${limit} entries`);

const groups = list(text(REVIEW_LIMITS.groupChars), REVIEW_LIMITS.aclGroups);

const requirement = z.object({
  anyOf: groups.refine((anyOf) => anyOf.some((group) => group.trim().length > 0), {
    message: 'must name at least one group (a requirement no one can meet is not "everyone")',
  }),
});

const citation = z.object({
  documentId: text(REVIEW_LIMITS.idChars),
  documentVersion: text(REVIEW_LIMITS.idChars),
  chunkId: text(REVIEW_LIMITS.chunkIdChars),
  title: text(REVIEW_LIMITS.titleChars),
  source: text(REVIEW_LIMITS.sourceChars),
  quote: text(REVIEW_LIMITS.quoteChars),
  score: z.number(),
});

const context = z.object({
  chunkId: text(REVIEW_LIMITS.chunkIdChars),
  documentId: text(REVIEW_LIMITS.idChars),
  documentVersion: text(REVIEW_LIMITS.idChars),
  text: text(REVIEW_LIMITS.contextChars),
  score: z.number(),
  aclGroups: groups,
});

/** What a review item keeps of an exchange, whichever event it came from. */
const exchangeFields = {
  tenantId: text(REVIEW_LIMITS.tenantChars).min(1, 'is required'),
  traceId: text(REVIEW_LIMITS.traceIdChars),
  question: text(REVIEW_LIMITS.questionChars),
  answer: text(REVIEW_LIMITS.answerChars),
  citations: list(citation, REVIEW_LIMITS.citations),
  contexts: list(context, REVIEW_LIMITS.contexts),
  readRequires: list(requirement, REVIEW_LIMITS.readRequires),
};

interface Texts {
  question: string;
  answer: string;
  citations: readonly { quote: string }[];
  contexts: readonly { text: string }[];
}

function totalChars(exchange: Texts): number {
  let total = exchange.question.length + exchange.answer.length;
  for (const citation of exchange.citations) total += citation.quote.length;
  for (const context of exchange.contexts) total += context.text.length;
  return total;
}

function checkTotal(exchange: Texts, context: z.RefinementCtx): void {
  if (totalChars(exchange) > REVIEW_LIMITS.totalChars) {
    context.addIssue({
      code: 'custom',
      path: [],
      message: `question, answer, context texts and quotes together exceed ${REVIEW_LIMITS.totalChars} characters`,
    });
  }
}

export const reviewRequestedLimits = z
  .object({
    ...exchangeFields,
    reviewId: text(REVIEW_LIMITS.idChars).min(1, 'is required'),
    requestId: text(REVIEW_LIMITS.idChars),
    detail: text(REVIEW_LIMITS.detailChars),
    requestedBy: text(REVIEW_LIMITS.requestedByChars),
    score: z.number(),
  })
  .superRefine(checkTotal);

export const escalatedCompletionLimits = z
  .object({ ...exchangeFields, requestId: text(REVIEW_LIMITS.idChars).min(1, 'is required') })
  .superRefine(checkTotal);

/** `contexts[3].text`: the path of a field as a reader of the event would write it. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let field = '';
  for (const key of path) {
    field = typeof key === 'number' ? `${field}[${key}]` : field ? `${field}.${String(key)}` : String(key);
  }
  return field || '(event)';
}

/** Throws a non-retryable validation error naming each field over its limit (the bus dead-letters it). */
export function checkEventLimits(schema: z.ZodType, event: unknown, what: string): void {
  const result = schema.safeParse(event);
  if (result.success) return;
  const violations: Violation[] = result.error.issues.map((issue) => ({
    field: fieldPath(issue.path),
    message: issue.message,
  }));
  throw validationError(
    violations,
    `${what} rejected: ${violations.map((violation) => `${violation.field}: ${violation.message}`).join('; ')}`,
  );
}
