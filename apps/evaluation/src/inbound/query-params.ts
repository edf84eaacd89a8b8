/** Query-string parsing for list endpoints: failures name the parameter, like body validation does. */
import { validationError, z } from '@keel/platform';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).optional(),
});

/** Validates `req.query`; a repeated parameter (`?limit=1&limit=2`) is an error, not an array. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const violations = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(query)',
    message: issue.message,
  }));
  throw validationError(violations, `invalid query: ${violations.map((v) => `${v.field}: ${v.message}`).join('; ')}`);
}
