/** The bounded shapes of what admins and reviewers send about queues: settings and rubric answers. */
import { z } from '@keel/platform';
import { REVIEW_REASON_NAMES } from '../reviews/review-item.js';
import { QUEUE_LIMITS, type QueueSettings } from './review-queue.js';

const text = (limit: number) => z.string().max(limit, `at most ${limit} characters`);
const key = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'lowercase letters, digits and _, starting with a letter')
  .max(QUEUE_LIMITS.rubricKeyChars, `at most ${QUEUE_LIMITS.rubricKeyChars} characters`);
const label = text(QUEUE_LIMITS.rubricLabelChars).min(1);

export const queueIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _, starting with a letter or digit')
  .max(QUEUE_LIMITS.idChars, `at most ${QUEUE_LIMITS.idChars} characters`);

const uniqueKeys = (items: readonly { key: string }[]) => new Set(items.map((item) => item.key)).size === items.length;

const rubricSchema = z
  .object({
    scores: z
      .array(
        z
          .object({ key, label, min: z.number().finite(), max: z.number().finite() })
          .refine((score) => score.min < score.max, { message: 'min must be below max', path: ['max'] }),
      )
      .max(QUEUE_LIMITS.rubricScores)
      .default([]),
    categories: z
      .array(
        z.object({
          key,
          label,
          options: z
            .array(label)
            .min(1)
            .max(QUEUE_LIMITS.rubricOptions)
            .refine((options) => new Set(options).size === options.length, 'options must differ'),
        }),
      )
      .max(QUEUE_LIMITS.rubricCategories)
      .default([]),
    notes: z.boolean().default(false),
  })
  .refine((rubric) => uniqueKeys([...rubric.scores, ...rubric.categories]), {
    message: 'score and category keys must all differ',
    path: ['scores'],
  });

export const queueSettingsSchema = z.object({
  name: text(QUEUE_LIMITS.nameChars).min(1),
  description: text(QUEUE_LIMITS.descriptionChars).default(''),
  match: z
    .object({
      reasons: z.array(z.enum(REVIEW_REASON_NAMES)).max(QUEUE_LIMITS.matchReasons).optional(),
      maxScore: z.number().finite().optional(),
      requestedBy: z.array(text(QUEUE_LIMITS.requesterChars).min(1)).max(QUEUE_LIMITS.matchRequesters).optional(),
    })
    .default({}),
  order: z.number().int().min(0).max(QUEUE_LIMITS.maxOrder).default(100),
  basePriority: z.number().int().min(0).max(100).default(50),
  slaMinutes: z
    .number()
    .int()
    .min(1)
    .max(QUEUE_LIMITS.maxSlaMinutes)
    .default(24 * 60),
  reviewersPerItem: z.number().int().min(1).max(QUEUE_LIMITS.maxReviewersPerItem).default(1),
  rubric: rubricSchema.default({ scores: [], categories: [], notes: false }),
});

/** POST: the settings, and an id (generated from the name when absent). */
export const createQueueSchema = queueSettingsSchema.extend({ id: queueIdSchema.optional() });

export function settingsOf(body: z.infer<typeof queueSettingsSchema>): QueueSettings {
  const match: QueueSettings['match'] = {};
  if (body.match.reasons !== undefined) match.reasons = body.match.reasons;
  if (body.match.maxScore !== undefined) match.maxScore = body.match.maxScore;
  if (body.match.requestedBy !== undefined) match.requestedBy = body.match.requestedBy;
  return {
    name: body.name,
    description: body.description,
    match,
    order: body.order,
    basePriority: body.basePriority,
    slaMinutes: body.slaMinutes,
    reviewersPerItem: body.reviewersPerItem,
    rubric: body.rubric,
  };
}

/** A queue id made from its name: `Legal escalations` → `legal-escalations`. */
export function queueIdFromName(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, QUEUE_LIMITS.idChars);
  return slug.length > 0 ? slug : `queue-${Date.now().toString(36)}`;
}

/** A decision's rubric answers, bounded; checked against the queue's rubric by rubric.ts. */
export const rubricAnswersSchema = z.object({
  scores: z
    .record(z.string().max(QUEUE_LIMITS.rubricKeyChars), z.number().finite())
    .refine(
      (scores) => Object.keys(scores).length <= QUEUE_LIMITS.rubricScores,
      `at most ${QUEUE_LIMITS.rubricScores} scores`,
    )
    .optional(),
  categories: z
    .record(z.string().max(QUEUE_LIMITS.rubricKeyChars), text(QUEUE_LIMITS.rubricLabelChars))
    .refine(
      (categories) => Object.keys(categories).length <= QUEUE_LIMITS.rubricCategories,
      `at most ${QUEUE_LIMITS.rubricCategories} categories`,
    )
    .optional(),
  notes: text(QUEUE_LIMITS.rubricNotesChars).optional(),
});
