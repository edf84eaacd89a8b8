/**
 * Bounds on the events evaluation consumes (`keel.inference.completed.v1`,
 * `keel.review.decided.v1`): every string, list and nested list has a maximum a real producer
 * never reaches (the gateway caps questions at 4 096 characters and retrieval at 50 chunks), so an
 * event beyond them is malformed or hostile. Such an event is refused with a non-retryable
 * validation error naming the field (`contexts.3.text`): the event bus dead-letters it at once
 * instead of scoring, storing or forwarding unbounded text. The limits are listed in the README.
 */
import { describeViolations, validationError, violationsOf, z } from '@keel/platform';

export const EVENT_LIMITS = {
  /** Ids and names: request, review, trace, tenant, chunk and document ids, model, reviewer... */
  idLength: 512,
  questionLength: 65_536,
  answerLength: 131_072,
  /** Reviewer comments. */
  commentLength: 65_536,
  contexts: 200,
  contextTextLength: 65_536,
  /** The contexts of one event together. */
  contextsTotalLength: 1_048_576,
  citations: 200,
  citationTextLength: 65_536,
  aclGroups: 256,
  aclGroupLength: 256,
  readRequirements: 256,
  policyOutcomes: 32,
  findingTypes: 64,
  /** Entries of `ReviewDecided.missing` ("question", "answer"). */
  missing: 8,
  /** Rule ids fired by one policy decision. */
  policyRules: 256,
  /** Metric scores of one evaluation. */
  metrics: 64,
  /** Claim verdicts of one evaluation. */
  verdicts: 4_096,
} as const;

const text = (limit: number) => z.string().max(limit, `at most ${limit} characters`);
const list = <T extends z.ZodType>(item: T, limit: number, what: string) =>
  z.array(item).max(limit, `at most ${limit} ${what}`);

const id = text(EVENT_LIMITS.idLength);
const aclGroups = list(text(EVENT_LIMITS.aclGroupLength), EVENT_LIMITS.aclGroups, 'groups');

export const groupRequirementsSchema = list(
  z.object({ anyOf: aclGroups }),
  EVENT_LIMITS.readRequirements,
  'requirements',
);

export const contextChunksSchema = list(
  z.object({
    chunkId: id,
    documentId: id,
    documentVersion: id,
    text: text(EVENT_LIMITS.contextTextLength),
    aclGroups,
  }),
  EVENT_LIMITS.contexts,
  'contexts',
).refine(
  (contexts) => contexts.reduce((total, context) => total + context.text.length, 0) <= EVENT_LIMITS.contextsTotalLength,
  { message: `at most ${EVENT_LIMITS.contextsTotalLength} characters of context text in all` },
);

export const citationsSchema = list(
  z.object({
    documentId: id,
    documentVersion: id,
    chunkId: id,
    title: text(EVENT_LIMITS.citationTextLength),
    source: text(EVENT_LIMITS.citationTextLength),
    quote: text(EVENT_LIMITS.citationTextLength),
  }),
  EVENT_LIMITS.citations,
  'citations',
);

export const boundedText = {
  id,
  question: text(EVENT_LIMITS.questionLength),
  answer: text(EVENT_LIMITS.answerLength),
  comment: text(EVENT_LIMITS.commentLength),
};

export { list as boundedList };

/**
 * Checks an event against its bounds; a violation throws a non-retryable validation error whose
 * violations name each field (the bus dead-letters the event with it). Nothing of the event's
 * content is echoed, only field paths and limits.
 */
export function checkEventBounds(schema: z.ZodType, event: unknown, what: string): void {
  const result = schema.safeParse(event);
  if (result.success) return;
  const violations = violationsOf(result.error);
  throw validationError(violations, `${what} refused: ${describeViolations(violations)}`);
}
