/**
 * Validates a request's query string and path parameters: failures throw a 400 validationError
 * naming each field (`limit`, or `(query)` / `(path)` for the whole), with detail
 * `invalid query: limit: ...`. Express gives a repeated parameter (`?limit=1&limit=2`) as an array,
 * which a string schema refuses: an error, not a guess. Path parameters arrive percent-decoded
 * (malformed encodings are refused before any route runs).
 */
import type { z } from 'zod';
import { validationError } from '../errors/keel-error.js';

function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const violations = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || `(${what})`,
    message: issue.message,
  }));
  throw validationError(violations, `invalid ${what}: ${violations.map((v) => `${v.field}: ${v.message}`).join('; ')}`);
}

/** Validates `req.query`. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  return parseWith(schema, query, 'query');
}

/** Validates `req.params`. */
export function parsePathParams<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  return parseWith(schema, params, 'path');
}
