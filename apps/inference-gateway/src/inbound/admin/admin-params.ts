/** Validation of the admin and usage APIs' queries and path parameters (400 naming the field). */
import { validationError, z } from '@keel/platform';

function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const violations = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || `(${what})`,
    message: issue.message,
  }));
  throw validationError(violations, `invalid ${what}: ${violations.map((v) => `${v.field}: ${v.message}`).join('; ')}`);
}

/** A repeated parameter (`?model=a&model=b`) is an error: strings only. */
export const parseQuery = <S extends z.ZodType>(schema: S, query: unknown) => parseWith(schema, query, 'query');
export const parsePath = <S extends z.ZodType>(schema: S, params: unknown) => parseWith(schema, params, 'path');

export const tenantIdSchema = z.string().regex(/^[\w.-]{1,128}$/, "1-128 letters, digits, '.', '_' or '-'");
/** A stored key's id, or a static key's subject (its name or `key-<digest>`). */
export const keyIdSchema = z.string().regex(/^[\w.@+: -]{1,128}$/, '1-128 letters, digits, spaces or . _ @ + : -');

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a UTC day as YYYY-MM-DD');

export const usageQuerySchema = z
  .object({
    apiKeyId: keyIdSchema.optional(),
    model: z.string().min(1).max(256).optional(),
    from: day.optional(),
    to: day.optional(),
    groupBy: z.enum(['day', 'key', 'model']).default('day'),
  })
  .strict();

export const usageEntriesQuerySchema = z
  .object({
    apiKeyId: keyIdSchema.optional(),
    model: z.string().min(1).max(256).optional(),
    from: day.optional(),
    to: day.optional(),
    cursor: z.string().min(1).max(2048).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
