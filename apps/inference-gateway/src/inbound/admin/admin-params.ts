/** The admin and usage APIs' query and path schemas (parsed by @keel/platform's parseQuery / parsePathParams). */
import { z } from '@keel/platform';

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
