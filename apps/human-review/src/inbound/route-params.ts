/** The `:id` path parameters of the work and queue routes, bounded (400 naming `id`). */
import { validationError, z } from '@keel/platform';
import type express from 'express';
import { queueIdSchema } from '../queues/queue-schema.js';
import { REVIEW_LIMITS } from '../reviews/review-limits.js';

const reviewIdParam = z.string().min(1).max(REVIEW_LIMITS.idChars, `at most ${REVIEW_LIMITS.idChars} characters`);

function parseId(schema: z.ZodType<string>, req: express.Request): string {
  const result = schema.safeParse(req.params.id);
  if (result.success) return result.data;
  throw validationError([{ field: 'id', message: result.error.issues[0]?.message ?? 'invalid' }]);
}

export const reviewIdOf = (req: express.Request): string => parseId(reviewIdParam, req);
export const queueIdOf = (req: express.Request): string => parseId(queueIdSchema, req);
