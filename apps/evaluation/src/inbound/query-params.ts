/**
 * Query-string and path parsing for the read endpoints: every input is bounded, and failures name
 * the parameter, like body validation does. The limits are listed in the README.
 */
import { z } from '@keel/platform';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Cursors this service issues hold a sort value and an id of at most 512 characters. */
export const MAX_CURSOR_LENGTH = 4096;
/** Request ids are document ids of the store: at most 512 characters. */
export const MAX_REQUEST_ID_LENGTH = 512;
export const MAX_DATASET_ID_LENGTH = 128;

const booleanFlag = z.enum(['true', 'false']);

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).max(MAX_CURSOR_LENGTH, `at most ${MAX_CURSOR_LENGTH} characters`).optional(),
});

export const listEvaluationsQuery = pageQuery.extend({
  passed: booleanFlag.optional(),
});

export const listExamplesQuery = pageQuery.extend({
  includeIncomplete: booleanFlag.optional(),
});

export const trainingDataQuery = z.object({
  kind: z.enum(['positives', 'negatives']).default('positives'),
});

export const evaluationParams = z.object({
  requestId: z.string().min(1).max(MAX_REQUEST_ID_LENGTH, `at most ${MAX_REQUEST_ID_LENGTH} characters`),
});

export const datasetParams = z.object({
  datasetId: z
    .string()
    .max(MAX_DATASET_ID_LENGTH, `at most ${MAX_DATASET_ID_LENGTH} characters`)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-', starting with a letter or digit"),
});
