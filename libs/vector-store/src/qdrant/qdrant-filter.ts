import type { PayloadCondition, VectorFilter } from '../vector-index.js';

/** The Qdrant filter conditions a Keel filter becomes (the subset of Qdrant's schema used here). */
export type QdrantCondition =
  | { key: string; match: { value: string | number | boolean } }
  | { key: string; match: { any: string[] } }
  | { key: string; range: { gte: number; lte: number } };

/**
 * Keel payload filters as Qdrant `must` conditions:
 * - `equals` a string, boolean or integer → `match: { value }` (on an array field it matches
 *   when any element does, as Keel's `equals` requires);
 * - `equals` a non-integer number → `range: { gte: v, lte: v }`: Qdrant matches only
 *   keywords, integers and booleans exactly;
 * - `anyOf` → `match: { any }`.
 */
export function qdrantFilter(filter: VectorFilter): { must: QdrantCondition[] } | undefined {
  if (filter.must.length === 0) return undefined;
  return { must: filter.must.map(qdrantCondition) };
}

function qdrantCondition(condition: PayloadCondition): QdrantCondition {
  const key = payloadPath(condition.key);
  if (condition.anyOf !== undefined) return { key, match: { any: condition.anyOf } };
  const value = condition.equals as string | number | boolean;
  if (typeof value === 'number' && !Number.isInteger(value)) return { key, range: { gte: value, lte: value } };
  return { key, match: { value } };
}

/**
 * Qdrant reads a condition key as a JSON path (`a.b` is field b inside object a). Keel
 * payloads are flat, with keys such as `meta.source`, so any key that is not a bare
 * identifier (letters, digits, `_`, `-`) is quoted as one segment: `"meta.source"`.
 * Validation has already refused keys holding `"` or `\`, which Qdrant cannot quote.
 */
export function payloadPath(key: string): string {
  return /^[\p{L}\p{N}_-]+$/u.test(key) ? key : `"${key}"`;
}
